"""The recipes in deploy/ are what their platforms accept, and their stop
settings honour the shutdown contract (docs/operators/serving.md, "Stopping"): the
Kubernetes set checked offline against the API schemas kubernetes-validate
ships, the systemd units by `systemd-analyze verify`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from kubernetes_validate import validate
from kubernetes_validate.utils import all_versions

from app.cli import main as procura_cli
from app.config import Edge

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
SYSTEMD = ROOT / "deploy" / "systemd"
UNITS = ("procura-migrate.service", "procura-serve.service", "procura-worker.service", "procura-purge.service",
         "procura-purge.timer")
INSTALLED_PROCURA = "/opt/procura/venv/bin/procura"


def kustomization() -> dict:
    return yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())


def resources() -> list[dict]:
    """Every object the kustomization applies."""
    return [doc for name in kustomization()["resources"]
            for doc in yaml.safe_load_all((KUBERNETES / name).read_text()) if doc]


def resource(kind: str, name: str) -> dict:
    return next(r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name)


def settings_sum(values: dict[str, str]) -> int:
    """PROCURA_DRAIN_SECONDS + PROCURA_SHUTDOWN_TIMEOUT as `values` set them (else their defaults)."""
    defaults = Edge()
    return (int(values.get("PROCURA_DRAIN_SECONDS", defaults.drain_seconds))
            + int(values.get("PROCURA_SHUTDOWN_TIMEOUT", defaults.shutdown_timeout_seconds)))


def test_the_kustomization_applies_every_manifest_in_the_directory():
    listed = set(kustomization()["resources"])

    assert listed == {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("version", [all_versions()[0], all_versions()[-1]])
def test_every_kubernetes_object_validates_strictly_against_the_api_schema(version):
    problems = {}
    for obj in resources():
        try:
            validate(obj, version, strict=True)
        except Exception as error:  # a kind without a schema fails too, with its reason
            where = ".".join(str(p) for p in getattr(error, "path", ()))
            problems[f"{obj['kind']}/{obj['metadata']['name']}"] = f"{where}: {getattr(error, 'message', error)}"

    assert problems == {}


def test_the_api_pods_get_longer_to_stop_than_drain_and_shutdown_take():
    config = resource("ConfigMap", "procura-config")["data"]
    pod = resource("Deployment", "procura-api")["spec"]["template"]["spec"]

    assert pod["terminationGracePeriodSeconds"] > settings_sum(config)


def test_the_api_pods_leave_the_service_on_readyz_within_the_drain():
    config = resource("ConfigMap", "procura-config")["data"]
    container = resource("Deployment", "procura-api")["spec"]["template"]["spec"]["containers"][0]
    readiness, liveness = container["readinessProbe"], container["livenessProbe"]

    assert readiness["httpGet"]["path"] == "/readyz" and liveness["httpGet"]["path"] == "/healthz"
    noticed_within = readiness["periodSeconds"] * readiness["failureThreshold"]
    assert noticed_within < int(config.get("PROCURA_DRAIN_SECONDS", Edge().drain_seconds))


def test_the_migrate_job_and_the_deployments_run_the_procura_commands_with_the_same_settings():
    job = resource("Job", "procura-migrate")["spec"]["template"]["spec"]
    api = resource("Deployment", "procura-api")["spec"]["template"]["spec"]
    worker = resource("Deployment", "procura-worker")["spec"]["template"]["spec"]

    commands = [pod["containers"][0]["args"][:2] for pod in (job, api, worker)]
    sources = [pod["containers"][0]["envFrom"] for pod in (job, api, worker)]

    assert commands == [["procura", "migrate"], ["procura", "serve"], ["procura", "worker"]]
    assert sources == [[{"configMapRef": {"name": "procura-config"}}]] * 3


def pods() -> dict[str, dict]:
    """Every pod spec the kustomization runs, by its object."""
    found = {}
    for obj in resources():
        spec = obj.get("spec", {})
        pod = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec")
        if pod:
            found[f"{obj['kind']}/{obj['metadata']['name']}"] = pod
    return found


def test_every_pod_finds_each_secret_file_its_settings_name():
    files = {k: v for k, v in resource("ConfigMap", "procura-config")["data"].items() if k.endswith("_FILE")}
    keys = set(resource("Secret", "procura-secrets")["stringData"])
    assert files and {Path(path).name for path in files.values()} == keys
    directories = {str(Path(path).parent) for path in files.values()}

    missing = {}
    for where, pod in pods().items():
        volumes = {v["name"] for v in pod.get("volumes", []) if v.get("secret", {}).get("secretName") == "procura-secrets"}
        for container in pod["containers"]:
            mounted = {m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] in volumes}
            if not directories <= mounted:
                missing[where] = sorted(directories - mounted)

    assert missing == {}


def test_the_disruption_budgets_select_pods_their_deployments_run():
    for name in ("procura-api", "procura-worker"):
        budget = resource("PodDisruptionBudget", name)["spec"]
        pods = resource("Deployment", name)["spec"]["template"]["metadata"]["labels"]

        assert budget["selector"]["matchLabels"].items() <= pods.items(), name


def unit(name: str) -> dict[str, dict[str, str]]:
    """Section -> setting -> value (the last, for a setting given more than once)."""
    return {section: {key: values[-1] for key, values in settings.items()}
            for section, settings in unit_settings(name).items()}


def unit_settings(name: str) -> dict[str, dict[str, list[str]]]:
    """Section -> setting -> every value given, in order (ExecStart may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (SYSTEMD / name).read_text().splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            current.setdefault(key, []).append(value)
    return sections


def environment_example() -> dict[str, str]:
    lines = (SYSTEMD / "procura.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


def test_systemd_stops_the_server_by_its_main_process_and_waits_out_drain_and_shutdown():
    serve = unit("procura-serve.service")["Service"]

    assert serve["KillMode"] == "mixed"
    assert int(serve["TimeoutStopSec"]) > settings_sum(environment_example())


def test_serve_and_worker_start_only_after_the_migration_succeeded():
    for name in ("procura-serve.service", "procura-worker.service"):
        section = unit(name)["Unit"]

        assert "procura-migrate.service" in section["Requires"].split(), name
        assert "procura-migrate.service" in section["After"].split(), name
    assert unit("procura-migrate.service")["Service"]["Type"] == "oneshot"


@pytest.mark.external
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        message = "systemd-analyze is not installed (Debian's systemd package; scripts/test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # verify checks that ExecStart's program exists: point it at this checkout's procura.
    procura = str(Path(sys.executable).with_name("procura"))
    for name in UNITS:
        text = (SYSTEMD / name).read_text()
        (tmp_path / name).write_text(text.replace(INSTALLED_PROCURA, procura))

    result = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS)],
                            capture_output=True, text=True, timeout=60)

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def recipe_commands() -> dict[str, list[str]]:
    """Each procura command line a recipe runs (arguments after `procura`)."""
    commands = {}
    for name in UNITS:
        for n, line in enumerate(unit_settings(name).get("Service", {}).get("ExecStart", [])):
            argv = shlex.split(line)
            assert argv[0] == INSTALLED_PROCURA, name
            commands[f"{name} ExecStart {n + 1}"] = argv[1:]
    for where, pod in pods().items():
        for container in pod["containers"]:
            assert container["args"][0] == "procura", where
            commands[where] = container["args"][1:]
    cmd = next(line for line in CONTAINERFILE.read_text().splitlines() if line.startswith("CMD "))
    commands["Containerfile CMD"] = json.loads(cmd.removeprefix("CMD "))[1:]
    return commands


def test_every_command_line_the_recipes_run_is_one_procura_accepts():
    # In this process: `--help` makes click resolve the whole line, and exit
    # before any command runs.
    refused = {}
    for where, args in recipe_commands().items():
        result = CliRunner().invoke(procura_cli, [*args, "--help"])
        if result.exit_code != 0:
            refused[where] = result.output.strip()

    assert refused == {}


def test_the_image_copies_every_package_setup_cfg_installs():
    config = ConfigParser()
    config.read(ROOT / "setup.cfg")
    packages = {line.strip() for line in config["options.packages.find"]["include"].split()
                if line.strip() and "." not in line}
    copied = {m.group(1) for m in re.finditer(r"^COPY (\w+) /tmp/procura/\1$", CONTAINERFILE.read_text(), re.M)}

    assert packages == copied
    assert "--require-hashes -r /tmp/runtime.lock" in CONTAINERFILE.read_text()
