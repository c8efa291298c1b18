"""Adapters between the trainers people use and rlvrgym's rewards (verl, OpenRLHF, TRL environment_factory,
PrimeIntellect verifiers).

Each adapter is thin and sits above the environments: it translates a trainer's protocol (field names, where the
prompt ends, what a non-2xx reply does) at the edge and hands every completion to the one scoring road in
`rlvrgym.integrations._scoring`; none of them decides a reward itself. Trainer packages are optional: each module
imports its trainer only where it has to (install them with `pip install "rlvrgym[integrations]"`, see
docs/integrations.md).
"""

from typing import Any


def serve_routers(state: Any) -> list[Any]:
    """Routes `rlvrgym serve` adds for trainers (it looks this hook up on this package): OpenRLHF's
    `POST /get_reward`."""
    from rlvrgym.integrations.openrlhf import serve_routers as openrlhf_routers

    return openrlhf_routers(state)
