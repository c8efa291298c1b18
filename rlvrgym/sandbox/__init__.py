"""Running untrusted code: `DockerSandbox` (default, the only secure backend) and `LocalProcessSandbox` (trusted
code only). Both return raw facts (`ExecResult`); verifiers decide rewards."""

from rlvrgym.sandbox.base import PooledSandbox, Sandbox, SandboxUnavailable
from rlvrgym.sandbox.job import TEST_ISOLATIONS, ExecResult, ExecStatus, Job, Limits, TestIsolation

__all__ = ["TEST_ISOLATIONS", "ExecResult", "ExecStatus", "Job", "Limits", "PooledSandbox", "Sandbox",
           "SandboxUnavailable", "TestIsolation", "make_sandbox"]


def make_sandbox(backend: str = "docker", *, allow_unsafe: bool = False, **options: object) -> Sandbox:
    """The sandbox a verifier uses. `backend="local"` runs model code without isolation from the file system and
    is refused unless `allow_unsafe=True`: it is never chosen silently."""
    if backend == "docker":
        from rlvrgym.sandbox.docker_backend import DockerConfig, DockerSandbox

        return DockerSandbox(DockerConfig(**options))  # type: ignore[arg-type]
    if backend == "local":
        from rlvrgym.sandbox.local import LocalProcessSandbox

        return LocalProcessSandbox(allow_unsafe=allow_unsafe, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown sandbox backend {backend!r}; choose 'docker' or 'local'")
