"""An OpenAI-compatible HTTP endpoint as a policy (vLLM, SGLang, llama.cpp, TGI, hosted APIs).

Requests run in a bounded thread pool (`concurrency`); a failed request is retried with exponential backoff and,
when it keeps failing, comes back as a `FailedCompletion` carrying the reason, so one bad request never ends a run.
Only the standard library is used (`urllib`), so the policy needs no extra dependency.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rlvrgym.bench.policies.base import FailedCompletion

#: HTTP statuses worth another try: timeouts, rate limits and server-side failures.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass
class OpenAIPolicyConfig:
    """Attributes:
        model: the model name the server expects.
        base_url: the API root, e.g. http://127.0.0.1:8000/v1 (the `/chat/completions` path is appended).
        api_key_env: name of the environment variable holding the key (never the key itself, so it is never
            written to a run's summary); a missing variable sends no Authorization header.
        endpoint: "chat" (`/chat/completions`, messages) or "completions" (`/completions`, raw prompt).
        max_tokens, temperature, top_p, seed: sampling settings sent with every request (seed: None omits it).
        system_prompt: a system message before each observation ("chat" only).
        concurrency: requests in flight at once.
        retries: further attempts after a failed one; backoff: first wait in seconds, doubled each time.
        timeout: seconds per request.
        extra_body: more JSON fields for the request (e.g. {"stop": ["</answer>"]}).
    """

    model: str
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key_env: str = "OPENAI_API_KEY"
    endpoint: Literal["chat", "completions"] = "chat"
    max_tokens: int = 1024
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = 0
    system_prompt: str | None = None
    concurrency: int = 8
    retries: int = 3
    backoff: float = 1.0
    timeout: float = 120.0
    extra_body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.endpoint not in ("chat", "completions"):
            raise ValueError(f"endpoint must be 'chat' or 'completions', got {self.endpoint!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.concurrency < 1 or self.retries < 0 or self.timeout <= 0 or self.backoff < 0:
            raise ValueError("need concurrency >= 1, retries >= 0, timeout > 0 and backoff >= 0")


class OpenAIPolicy:
    """`act` sends one request per observation, at most `concurrency` at a time, and keeps their order."""

    def __init__(self, config: OpenAIPolicyConfig) -> None:
        self.config = config
        self.name = config.model.replace("/", "_")
        self.url = config.base_url.rstrip("/") + ("/chat/completions" if config.endpoint == "chat" else "/completions")
        self.stats = {"requests": 0, "retries": 0, "failures": 0}

    def payload(self, observation: str) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {"model": cfg.model, "max_tokens": cfg.max_tokens, "temperature": cfg.temperature,
                                "top_p": cfg.top_p}
        if cfg.seed is not None:
            body["seed"] = cfg.seed
        if cfg.endpoint == "chat":
            messages = [{"role": "system", "content": cfg.system_prompt}] if cfg.system_prompt else []
            body["messages"] = [*messages, {"role": "user", "content": observation}]
        else:
            body["prompt"] = observation
        return {**body, **cfg.extra_body}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.config.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
            return json.loads(response.read().decode("utf-8"))

    def _text(self, reply: dict[str, Any]) -> str:
        choice = reply["choices"][0]
        text = choice["message"]["content"] if self.config.endpoint == "chat" else choice["text"]
        if not isinstance(text, str):
            raise ValueError(f"the reply's content is {type(text).__name__}, not text")
        return text

    def complete(self, observation: str) -> str:
        """One completion, or a `FailedCompletion` saying why after the retries are spent."""
        body = self.payload(observation)
        error = ""
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                time.sleep(self.config.backoff * 2 ** (attempt - 1))
            self.stats["requests"] += 1
            try:
                return self._text(self._post(body))
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:200].decode("utf-8", "replace")
                error = f"HTTP {exc.code} from {self.url}: {detail}"
                if exc.code not in RETRY_STATUSES:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                error = f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}"
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                error = f"malformed reply from {self.url}: {type(exc).__name__}: {exc}"
        self.stats["failures"] += 1
        return FailedCompletion(error)

    def act(self, observations: list[str]) -> list[str]:
        with ThreadPoolExecutor(max_workers=min(self.config.concurrency, max(1, len(observations))),
                                thread_name_prefix="rlvrgym-http") as pool:
            return list(pool.map(self.complete, observations))

    def settings(self) -> dict[str, Any]:
        return {"kind": "openai", **asdict(self.config), "url": self.url}
