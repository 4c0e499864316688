"""The ``gasnet`` command line. Exit codes: 0 done, 2 bad input or usage, 1 internal error."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import GasnetError

__all__ = ["main"]


def _summary(result) -> None:
    counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    where = f" into {result.path}" if result.path else ""
    print(f"{result.stage}: {counts}{where}")
    c = result.report.counts()
    print(
        f"quality: {c['error']} errors, {c['warning']} warnings"
        + (" (layer quality_issues)" if result.path else "")
    )
    for line in result.report.lines("warning"):
        print(f"  {line}")


def _cmd_sample(args) -> None:
    from .sample import write_sample

    counts = write_sample(args.out, n_pipes=args.pipes, seed=args.seed)
    print(f"sample: {', '.join(f'{n} {k}' for k, n in counts.items())} written to {args.out}")
    print(f"config: {Path(args.out) / 'gasnet.toml'}")


def _stage(name):
    def run(args) -> None:
        from . import pipeline
        from .config import read_config

        config = read_config(args.config)
        for result in (
            getattr(pipeline, name)(config) if name == "run" else [getattr(pipeline, name)(config)]
        ):
            _summary(result)

    return run


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gasnet", description="One-map pipeline for a city gas network."
    )
    p.add_argument("--config", default="gasnet.toml", help="config file (default ./gasnet.toml)")
    p.add_argument("--version", action="version", version=f"gasnet {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="the whole pipeline").set_defaults(func=_stage("run"))
    sub.add_parser(
        "ingest", help="read, normalise and validate the layers into the GeoPackage"
    ).set_defaults(func=_stage("ingest"))
    sub.add_parser(
        "validate", help="check the raw layers and print the quality report; writes nothing"
    ).set_defaults(func=_stage("validate"))
    sub.add_parser("build", help="build the network graph from the ingested layers").set_defaults(
        func=_stage("build")
    )
    s = sub.add_parser("sample", help="write the deterministic sample / benchmark network")
    s.add_argument("--out", required=True, help="folder to write into")
    s.add_argument("--pipes", type=int, default=4500, help="about how many pipes (default 4500)")
    s.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    s.set_defaults(func=_cmd_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        args.func(args)
    except GasnetError as exc:
        print(f"gasnet: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # argument values the parser could not check (e.g. --pipes 5)
        if os.environ.get("GASNET_DEBUG"):
            raise
        print(f"gasnet: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `gasnet ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("gasnet: interrupted; the previous outputs are intact", file=sys.stderr)
        return 1
    except Exception:
        print("gasnet: internal error (please report it with the lines below)", file=sys.stderr)
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
