"""`python -m app.cli`: the same as the `procura` command."""

from app.cli import main

main()
