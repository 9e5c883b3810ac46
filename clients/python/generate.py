"""Regenerate procura_client/_generated, the typed client openapi-python-client
builds from the OpenAPI document the app serves. Never edited by hand: the
tests regenerate it into a temporary folder and fail when the committed copy
differs (scripts/generate_client runs this).

    python clients/python/generate.py [--output DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
COMMITTED = HERE / "procura_client" / "_generated"
#: Fixed hooks, isolated from any ruff configuration around the output, so
#: the same document always gives the same files.
CONFIG = {"post_hooks": ["ruff check --isolated --no-cache --fix-only --extend-select=I .",
                        "ruff format --isolated --no-cache ."]}


def served_document() -> bytes:
    """/openapi.json as the app serves it (every deployment serves the same)."""
    sys.path.insert(0, str(ROOT))
    from app.bootstrap import build_services, create_app
    from app.config import Settings

    services = build_services(Settings(in_memory=True, jwt_secret="x" * 64))
    try:
        answer = create_app(services=services).test_client().get("/openapi.json")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
        return answer.get_data()
    finally:
        services.close()


def generate(output: Path, document: bytes | None = None) -> str:
    """Write the generated package to `output` (replaced); the generator's output."""
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        (workdir / "openapi.json").write_bytes(document if document is not None else served_document())
        (workdir / "config.json").write_text(json.dumps(CONFIG))
        # The ruff beside this Python (the pinned one), not whichever is first on PATH.
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        run = subprocess.run(
            [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json", "--meta", "none",
             "--config", "config.json", "--output-path", str(workdir / "out"), "--fail-on-warning"],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=300,
        )
        if run.returncode != 0:
            raise RuntimeError(f"openapi-python-client failed:\n{run.stdout}{run.stderr}")
        shutil.rmtree(output, ignore_errors=True)
        shutil.copytree(workdir / "out", output)
        return run.stdout + run.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=COMMITTED)
    args = parser.parse_args()
    generate(args.output)
    print(f"generate: wrote {args.output}")


if __name__ == "__main__":
    main()
