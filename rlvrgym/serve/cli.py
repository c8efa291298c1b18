"""`rlvrgym serve`: the verification service on uvicorn. Imports nothing heavy until the command runs, so the
`rlvrgym` command works without the `serve` extra and says how to get it."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

from rlvrgym.cli_args import named_json_objects


def _token(args: argparse.Namespace) -> str | None:
    from rlvrgym.serve.config import token_from_env

    if args.token_file:
        return Path(args.token_file).read_text().strip() or None
    return args.token or token_from_env()


def config_from_args(args: argparse.Namespace) -> Any:
    from rlvrgym.serve.config import ServeConfig

    return ServeConfig(host=args.host, port=args.port, token=_token(args),
                       max_body_bytes=int(args.max_body_mb * 1024 * 1024), max_batch=args.max_batch,
                       max_queue=args.max_queue, deadline_s=args.deadline, batch_threads=args.batch_threads,
                       batches_per_verifier=args.batches_per_verifier,
                       session_threads=args.session_threads, max_sessions=args.max_sessions,
                       session_ttl_s=args.session_ttl, retry_after_s=args.retry_after,
                       verifier_options=named_json_objects(args.verifier_options, "--verifier-options"),
                       env_defaults=named_json_objects(args.env_defaults, "--env-defaults"),
                       executor="local" if args.ray is None else "ray", ray_address=args.ray or None)


def _cmd_serve(args: argparse.Namespace) -> int:
    from rlvrgym.serve.config import PolicyError

    try:
        config = config_from_args(args)
        config.check_bind()
    except (PolicyError, ValueError, OSError) as exc:
        print(f"rlvrgym serve: {exc}", file=sys.stderr)
        return 2
    try:
        import uvicorn

        from rlvrgym.serve.app import create_app
    except ImportError as exc:
        print(f"rlvrgym serve needs the serve extra ({exc.name} is missing): pip install 'rlvrgym[serve]'",
              file=sys.stderr)
        return 2
    for module in args.imports or []:  # plug-in verifiers that register themselves with @register_verifier
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"rlvrgym serve: cannot import {module}: {exc}", file=sys.stderr)
            return 2
    if args.verify_workers:
        os.environ["RLVRGYM_VERIFY_WORKERS"] = str(args.verify_workers)  # read when the worker pool starts
    logging.basicConfig(level=getattr(logging, args.log_level.upper()), format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("rlvrgym.serve.access").setLevel(logging.INFO if args.access_log else logging.WARNING)
    if config.executor == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            print("rlvrgym serve --ray needs Ray: pip install 'rlvrgym[ray]'", file=sys.stderr)
            return 2
    app = create_app(config, owns_process=True)  # uvicorn ends the process with the SIGTERM it caught
    # uvicorn's own access log prints the query string, where a client may have put its token: ours does not.
    # Keep-alive longer than clients keep idle connections (httpx: 5 s), so a client never reuses a connection the
    # server is closing at that moment (a ReadError that a non-idempotent step could not retry).
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, log_level=args.log_level,
                timeout_graceful_shutdown=5, timeout_keep_alive=75)
    return 0


def add_serve_command(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve verifiers and environments over HTTP (needs rlvrgym[serve])",
                       description="Batch verification (POST /verify), environment sessions (/envs/...), /health "
                                   "and Prometheus /metrics. Listens on 127.0.0.1 unless told otherwise; any other "
                                   "address needs a token.")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1; others need a token)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", help="shared secret clients send (or set RLVRGYM_SERVE_TOKEN, or --token-file; "
                                   "a command-line token is visible to other users in `ps`)")
    p.add_argument("--token-file", help="read the token from this file")
    p.add_argument("--max-body-mb", type=float, default=32.0, help="largest request body (413 above)")
    p.add_argument("--max-batch", type=int, default=1024, help="most items per /verify request (413 above)")
    p.add_argument("--max-queue", type=int, default=8192,
                   help="most verification items waiting or running at once (503 with Retry-After above)")
    p.add_argument("--retry-after", type=int, default=1, help="seconds a 503 tells the client to wait")
    p.add_argument("--deadline", type=float, default=600.0, help="longest a request may take (504 past it)")
    p.add_argument("--batch-threads", type=int, default=16, help="verification batches run at once")
    p.add_argument("--batches-per-verifier", type=int, default=2,
                   help="batches of one verifier run at once; requests arriving meanwhile join its next batch")
    p.add_argument("--session-threads", type=int, default=16,
                   help="environment calls run at once (resets are Python work that competes with the event loop)")
    p.add_argument("--max-sessions", type=int, default=4096, help="open environment sessions at most")
    p.add_argument("--session-ttl", type=float, default=600.0, help="seconds before an idle session expires")
    p.add_argument("--verify-workers", type=int, default=0,
                   help="verification worker processes (default: RLVRGYM_VERIFY_WORKERS or the number of cores)")
    p.add_argument("--verifier-options", action="append", metavar="NAME=JSON",
                   help="operator options for a verifier, e.g. code='{\"sandbox_options\": {\"pool_size\": 8}}'")
    p.add_argument("--env-defaults", action="append", metavar="ENV_ID=JSON",
                   help="operator arguments for an environment, e.g. task files: "
                        "CodeUnitTest-v0='{\"tasks\": \"/data/tasks.jsonl\"}'")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run verification on the Ray executor (rlvrgym[ray]): the cluster at ADDRESS, else "
                        "$RAY_ADDRESS, else a local Ray instance on 127.0.0.1")
    p.add_argument("--import", dest="imports", action="append", metavar="MODULE",
                   help="import a module first, e.g. one whose verifiers register with @register_verifier")
    p.add_argument("--access-log", action="store_true", help="log every request (method, path, status, time)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_cmd_serve)
