"""A local stand-in for the Anthropic Messages API, for tests and benchmarks.

``AnthropicStub`` is a tiny HTTP/1.1 server (pure asyncio, keep-alive, concurrent
connections) bound to 127.0.0.1 on an ephemeral port. It answers ``POST /v1/messages``
with deterministic Markdown prose (English or Spanish), thinking blocks and schema-driven
``tool_use`` input, streamed as the real SSE wire format, with realistic usage, cache
accounting, rate-limit headers, pacing, and a queue of injectable faults::

    async with AnthropicStub(tokens_per_second=63, ttft=0.2) as stub:
        stub.inject(Fault.rate_limited(retry_after=1))
        client = anthropic.AsyncAnthropic(base_url=stub.base_url, api_key="test")

Prose follows the prompt: lines of the last user message like ``## Title (about 400 words)`` are
written as headed pieces of that length, and a prompt that mentions ``<summary>`` gets a trailing
``<summary>…</summary>`` block (the running summary a client is expected to strip).

As a process: ``python -m tests.support.anthropic_stub --port 0 --tokens-per-second 63``
prints the base URL on stdout and serves until SIGINT/SIGTERM; ``--responder module:function``
answers with a custom responder (e.g. ``tests.support.claude_replies:architecture_reply``).
"""
from __future__ import annotations

import argparse, asyncio, base64, contextvars, hashlib, inspect, json, math, random, re, signal, sys, time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

WORDS_PER_TOKEN = 0.75
DEFAULT_WORDS = 300
WORDS_PER_DELTA = 3
JSON_CHARS_PER_DELTA = 16
_RID: contextvars.ContextVar[str] = contextvars.ContextVar("_RID", default="00000000")  # per connection task

# ----------------------------------------------------------------------------- prose
_POOLS = {
    "en": dict(
        open="In the quiet hours before dawn|Years later|Across the valley|Without a word|For a long moment|"
        "At the edge of the old harbor|Later that evening|Despite everything|Beyond the hills|When the snow came",
        subj="the old cartographer|Marta|the village council|her younger brother|the stranger from the north|"
        "the archivist|a thin grey cat|the ferryman|the children|the lighthouse keeper|Tomas|the widow",
        verb="studied|remembered|carried|questioned|followed|ignored|rebuilt|traced|guarded|abandoned|sold|mended",
        obj="the faded map|a promise made long ago|the letters hidden under the floorboards|the narrow road to "
        "the coast|every rumor about the mine|the silence of the empty house|a small brass key|the ledger of "
        "debts|the shape of the coming storm|the names carved into the bridge|the last boat of the season",
        clause="as if the answer might change|while the wind rattled the shutters|because no one else would|"
        "and nobody dared to interrupt|long after the lamps went out|with a patience that surprised everyone|"
        "though the cost was already clear|until the bells rang for the second time|before anyone noticed",
        quote="We should have listened|This is not the end|Keep walking|I remember this place|"
        "Nothing here belongs to us|Tell me the truth",
        tpl=["{O}, {s} {v} {o}.", "{S} {v} {o} {c}.", "{S} {v} {o}, and {s2} {v2} {o2}.",
             "What would {s} do with {o}?", "No one knew why {s} {v} {o}.", '"{Q}," {s} said, {c}.',
             "It was {s2} who {v} {o} first, {c}."],
    ),
    "es": dict(
        open="Al caer la tarde|Años después|Al otro lado del valle|Sin decir una palabra|Durante un largo momento|"
        "En el borde del viejo puerto|Esa misma noche|A pesar de todo|Más allá de las colinas|Cuando llegó la nieve",
        subj="la vieja cartógrafa|Marta|el consejo del pueblo|su hermano menor|el forastero del norte|"
        "la archivera|un gato gris y flaco|el barquero|los niños|el guardián del faro|Tomás|la viuda",
        verb="estudió|recordó|cargó con|cuestionó|siguió|ignoró|reconstruyó|trazó|custodió|abandonó|vendió|remendó",
        obj="el mapa descolorido|una promesa antigua|las cartas escondidas bajo el suelo|el estrecho camino hacia "
        "la costa|cada rumor sobre la mina|el silencio de la casa vacía|una pequeña llave de latón|el libro de "
        "las deudas|la forma de la tormenta|los nombres grabados en el puente|la última barca de la temporada",
        clause="como si la respuesta pudiera cambiar|mientras el viento sacudía las persianas|porque nadie más lo "
        "haría|y nadie se atrevió a interrumpir|mucho después de que se apagaran las lámparas|con una paciencia "
        "que sorprendió a todos|aunque el precio ya estaba claro|hasta que las campanas sonaron otra vez",
        quote="Debimos escuchar|Esto no es el final|Sigue caminando|Recuerdo este lugar|"
        "Nada de esto nos pertenece|Dime la verdad",
        tpl=["{O}, {s} {v} {o}.", "{S} {v} {o} {c}.", "{S} {v} {o}, y {s2} {v2} {o2}.",
             "¿Qué haría {s} con {o}?", "Nadie sabía por qué {s} {v} {o}.", "—{Q} —dijo {s}, {c}.",
             "Fue {s2} quien {v} {o} primero, {c}."],
    ),
}
for _pool in _POOLS.values():
    _pool.update({k: v.split("|") for k, v in _pool.items() if isinstance(v, str)})
_THINK = ("Let me consider|I should first outline|The key tension is|It may help to revisit|"
          "I want to make sure the reader sees|A better order might start with").split("|")
_ES_WORDS = set("el la los las de que y en un una por con para es del se su al como más pero esta".split())
_EN_WORDS = set("the and of to a in is that for with it as on be this by are or you your".split())


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def sentence(rng: random.Random, lang: str = "en") -> str:
    """One varied sentence assembled from the language's phrase pools."""
    p = _POOLS[lang]
    c = lambda k: rng.choice(p[k])  # noqa: E731
    s = c("subj")
    return rng.choice(p["tpl"]).format(O=c("open"), s=s, S=_cap(s), v=c("verb"), o=c("obj"), c=c("clause"),
                                       s2=c("subj"), v2=c("verb"), o2=c("obj"), Q=c("quote"))


def prose(rng: random.Random, words: int, lang: str = "en") -> str:
    """Markdown paragraphs (blank-line separated) of about ``words`` words."""
    paragraphs, count = [], 0
    while count < words:
        para = []
        for _ in range(rng.randint(3, 6)):
            para.append(sentence(rng, lang))
            count += len(para[-1].split())
            if count >= words:
                break
        paragraphs.append(" ".join(para))
    return "\n\n".join(paragraphs)


def thinking_prose(rng: random.Random, words: int) -> str:
    """Planning-style English text for thinking blocks."""
    p, out = _POOLS["en"], []
    while sum(len(x.split()) for x in out) < words:
        out.append(f"{rng.choice(_THINK)} {rng.choice(p['obj'])}, and whether {rng.choice(p['subj'])} "
                   f"should face it {rng.choice(p['clause'])}.")
    return " ".join(out)


def fake_from_schema(schema: dict, rng: random.Random, lang: str = "en", root: dict | None = None,
                     depth: int = 0) -> Any:
    """Generate a value matching a JSON schema (objects, arrays, strings, numbers, enums, $ref, anyOf)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return fake_from_schema(target, rng, lang, root, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fake_from_schema(options[0], rng, lang, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    kind = schema.get("type") or ("object" if "properties" in schema else "array" if "items" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        keep = set(schema.get("required", props)) if depth > 6 else set(props)
        return {k: fake_from_schema(v, rng, lang, root, depth + 1) for k, v in props.items() if k in keep}
    if kind == "array":
        lo = schema.get("minItems", 1)
        hi = schema.get("maxItems", max(lo, 3))
        return [fake_from_schema(schema.get("items", {}), rng, lang, root, depth + 1)
                for _ in range(rng.randint(lo, max(lo, hi)))]
    if kind in ("integer", "number"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 101) - 1)
        return rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(hi))) if kind == "integer" \
            else round(rng.uniform(lo, max(lo, hi)), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if schema.get("format") == "date":
        return f"20{rng.randint(10, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    text = sentence(rng, lang)
    while len(text) < schema.get("minLength", 0):
        text += " " + sentence(rng, lang)
    return text[: schema.get("maxLength", len(text))]


# ----------------------------------------------------------------------------- public types
@dataclass
class Reply:
    """What to answer. Blocks are sent in the order thinking, text, tool_use (None = omitted).
    Usage fields left as None are computed from the request; stop_reason defaults to
    ``tool_use`` when there is tool input, else ``end_turn``."""
    text: str | None = None
    thinking: str | None = None
    tool_input: dict | None = None
    tool_name: str = "tool"
    stop_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None


@dataclass
class Fault:
    """One injected failure; build with the classmethods. ``http`` faults answer with an error
    status instead of a message; the others act on the stream."""
    kind: str
    status: int = 0
    error_type: str = ""
    retry_after: float | None = None
    after_tokens: int = 0
    seconds: float = 0.0

    @classmethod
    def http_error(cls, status: int, error_type: str, retry_after: float | None = None) -> Fault:
        return cls("http", status=status, error_type=error_type, retry_after=retry_after)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1) -> Fault:
        return cls.http_error(429, "rate_limit_error", retry_after)

    @classmethod
    def overloaded(cls) -> Fault:
        return cls.http_error(529, "overloaded_error")

    @classmethod
    def server_error(cls) -> Fault:
        return cls.http_error(500, "api_error")

    @classmethod
    def error_mid_stream(cls, after_tokens: int = 0) -> Fault:
        return cls("error_mid_stream", after_tokens=after_tokens)

    @classmethod
    def truncate(cls, after_tokens: int = 0) -> Fault:
        return cls("truncate", after_tokens=after_tokens)

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        return cls("stall", seconds=seconds)

    @classmethod
    def max_tokens(cls, after_tokens: int) -> Fault:
        return cls("max_tokens", after_tokens=after_tokens)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class _Block:
    """A content block ready to stream: delta pieces with their token weights."""
    kind: str  # thinking | text | tool_use
    pieces: list[tuple[str, float]]
    name: str = ""
    signature: str = ""

    @property
    def body(self) -> str:
        return "".join(p for p, _ in self.pieces)


def _word_pieces(text: str) -> list[tuple[str, float]]:
    words = re.findall(r"\s*\S+", text)
    return [("".join(words[i:i + WORDS_PER_DELTA]), len(words[i:i + WORDS_PER_DELTA]) / WORDS_PER_TOKEN)
            for i in range(0, len(words), WORDS_PER_DELTA)]


def _cut(blocks: list[_Block], budget: float) -> tuple[list[_Block], bool]:
    """Keep at most ``budget`` output tokens, cutting mid-block on word boundaries."""
    out, used, cut = [], 0.0, False
    for b in blocks:
        kept: list[tuple[str, float]] = []
        for piece, tokens in b.pieces:
            if used + tokens > budget + 1e-9:
                words = re.findall(r"\s*\S+", piece)[: int((budget - used) * WORDS_PER_TOKEN + 1e-9)]
                if words and b.kind != "tool_use":  # split a prose piece on a word boundary
                    kept.append(("".join(words), len(words) / WORDS_PER_TOKEN))
                cut = True
                break
            kept.append((piece, tokens))
            used += tokens
        out.append(_Block(b.kind, kept, b.name, b.signature))
        if cut:
            break
    return out, cut


def _texts(req: dict) -> list[tuple[str, bool]]:
    """The request flattened to (text, has_cache_control) segments in prompt order."""
    segs: list[tuple[str, bool]] = [(json.dumps(t, sort_keys=True), "cache_control" in t) for t in req.get("tools", [])]
    system = req.get("system")
    for block in ([{"text": system}] if isinstance(system, str) else system or []):
        segs.append((block.get("text", ""), "cache_control" in block))
    for msg in req.get("messages", []):
        content = msg.get("content")
        for block in ([{"type": "text", "text": content}] if isinstance(content, str) else content or []):
            text = block.get("text") if block.get("type") == "text" else json.dumps(block, sort_keys=True)
            segs.append((text or "", "cache_control" in block))
    return segs


def _last_user_text(req: dict) -> str:
    for msg in reversed(req.get("messages", [])):
        if msg.get("role") == "user":
            c = msg.get("content")
            return c if isinstance(c, str) else " ".join(str(b.get("text", b.get("content", ""))) for b in c)
    return ""


def detect_language(req: dict) -> str:
    """'es' on an explicit Spanish hint or when Spanish stopwords dominate, else 'en'."""
    text = " ".join(t for t, _ in _texts(req) if not t.startswith("{")).lower()
    if re.search(r"\b(spanish|español|espanol|castellano)\b|\blang(uage)?\s*[:=]\s*[\"']?es\b", text):
        return "es"
    words = re.findall(r"\w+", text)
    return "es" if sum(w in _ES_WORDS for w in words) > sum(w in _EN_WORDS for w in words) else "en"


def requested_words(req: dict) -> int:
    """Largest 'N words' / 'N palabras' in the last user message, else DEFAULT_WORDS."""
    found = re.findall(r"(\d[\d,.]*)\s*-?\s*(?:words?|palabras)\b", _last_user_text(req), re.I)
    numbers = [int(re.sub(r"\D", "", n)) for n in found]
    return max(numbers) if numbers and max(numbers) > 0 else DEFAULT_WORDS


_PLANNED = re.compile(r"^(.*?)\s*\((?:about|unas)\s+(\d[\d,.]*)\s+(?:words?|palabras)\)", re.I | re.M)


def planned_pieces(req: dict) -> list[tuple[str, int]]:
    """Lines of the last user message like '## Title (about 400 words)': (heading or '', words) each.
    A line that starts with '#' is a heading to write before its prose."""
    return [(head.strip() if head.lstrip().startswith("#") else "", int(re.sub(r"\D", "", n)))
            for head, n in _PLANNED.findall(_last_user_text(req))]


def wants_summary(req: dict) -> bool:
    """The prompt asks for a trailing ``<summary>`` block (a running summary the client strips)."""
    return any("<summary>" in text for text, _ in _texts(req) if not text.startswith("{"))


def book_text(req: dict, rng: random.Random, lang: str, scale: float = 1.0) -> str:
    """Prose for the request: per planned piece (with its heading) when listed, else of the requested
    length (times ``scale``: below 1 plays a model that under-writes); then a ``<summary>`` block
    when asked for."""
    pieces = planned_pieces(req)
    if pieces:
        text = "\n\n".join((f"{head}\n\n" if head else "") + prose(rng, max(1, round(words * scale)), lang)
                           for head, words in pieces)
    else:
        text = prose(rng, max(1, round(requested_words(req) * scale)), lang)
    if wants_summary(req):
        text += "\n\n<summary>" + " ".join(prose(rng, rng.randint(90, 160), lang).split()) + "</summary>"
    return text


def default_reply(req: dict, rng: random.Random, scale: float = 1.0) -> Reply:
    """The built-in responder: forced tool use, else (thinking +) prose of the requested length."""
    lang, choice = detect_language(req), req.get("tool_choice") or {}
    if req.get("tools") and choice.get("type") in ("tool", "any"):
        tool = next((t for t in req["tools"] if t.get("name") == choice.get("name")), req["tools"][0])
        return Reply(tool_name=tool["name"], tool_input=fake_from_schema(tool.get("input_schema", {}), rng, lang))
    reply, budget = Reply(), req.get("max_tokens", 4096)
    thinking = req.get("thinking") or {}
    if thinking.get("type") in ("enabled", "adaptive"):
        words = min(rng.randint(40, 120), int(thinking.get("budget_tokens", 10 ** 6) * WORDS_PER_TOKEN))
        reply.thinking = "" if thinking.get("display") == "omitted" else thinking_prose(rng, words)
        budget -= round(words / WORDS_PER_TOKEN)
    text = book_text(req, rng, lang, scale)
    limit = max(0, int(budget * WORDS_PER_TOKEN))
    reply.text = "".join(re.findall(r"\s*\S+", text)[:limit])
    reply.stop_reason = "max_tokens" if len(text.split()) > limit else None
    return reply


ADAPTIVE_MODELS = ("claude-opus-4-6", "claude-sonnet-4-6")


def request_problem(req: dict) -> str:
    """What the Messages API would refuse in this request with a 400 (the checks Buko can get wrong)."""
    max_tokens, thinking = req.get("max_tokens"), req.get("thinking") or {}
    if not isinstance(max_tokens, int) or max_tokens < 1:
        return "max_tokens: must be a positive integer"
    if thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens", 0)
        if budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if budget >= max_tokens:
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
    if thinking.get("type") == "adaptive" and not str(req.get("model", "")).startswith(ADAPTIVE_MODELS):
        return f"thinking type 'adaptive' is not supported by model {req.get('model')}"
    return ""


# ----------------------------------------------------------------------------- server
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 529: "Overloaded"}


class AnthropicStub:
    """Local Messages API server. Attributes for tests: ``requests`` (RecordedRequest list),
    ``usage`` (totals of usage reported), ``ratelimits`` (mutable header values, keys like
    ``"requests-remaining"``), ``tokens_per_second`` and ``ttft`` (mutable pacing)."""

    def __init__(self, *, port: int = 0, tokens_per_second: float = 0, ttft: float = 0,
                 responder: Callable[[dict], Any] | None = None, ratelimits: dict[str, Any] | None = None,
                 fault_rate: float = 0.0, under_write: float = 1.0, seed: int = 0):
        self.port, self.tokens_per_second, self.ttft, self.responder = port, tokens_per_second, ttft, responder
        # Random faults on a share of requests (when none is queued), and a model writing only
        # ``under_write`` of what it is asked for: for benchmarks and soak tests.
        self.fault_rate, self.under_write, self._fault_rng = fault_rate, under_write, random.Random(seed)
        self.http_faults_served = 0
        self.refused: list[str] = []  # why requests were refused with a 400, as the API would
        self.ratelimits = {"requests-limit": 4000, "requests-remaining": 3999, "tokens-limit": 2_000_000,
                           "tokens-remaining": 1_990_000, **(ratelimits or {})}
        self.requests: list[RecordedRequest] = []
        self.usage = dict(input_tokens=0, output_tokens=0, cache_creation_input_tokens=0, cache_read_input_tokens=0)
        self._faults: deque[Fault] = deque()
        self._cached: set[str] = set()
        self._server: asyncio.AbstractServer | None = None
        self._conns: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._counter = self.connections_opened = 0

    # -- lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> AnthropicStub:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server:
            self._server.close()
            tasks, writers = list(self._conns), list(self._conns.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for writer in writers:
                writer.transport.abort()
            await self._server.wait_closed()

    async def __aenter__(self) -> AnthropicStub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` message requests (after already-queued faults)."""
        self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- HTTP/1.1
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns[task] = writer
        self.connections_opened += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, path, version = head[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = b""
                    while size := int((await reader.readline()).split(b";")[0], 16):
                        body += await reader.readexactly(size)
                        await reader.readline()
                    await reader.readuntil(b"\r\n")
                else:
                    body = await reader.readexactly(int(headers.get("content-length", 0)))
                keep = await self._handle(method, path.split("?")[0], headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        except asyncio.CancelledError:  # close(): end quietly
            pass
        finally:
            self._conns.pop(task, None)
            writer.close()  # flushes what was written (e.g. an error event), then closes

    def _headers(self, status: int, ctype: str, extra: dict[str, Any], length: int | None) -> bytes:
        reset = (datetime.now(timezone.utc) + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        hdrs = {"content-type": ctype, "request-id": f"req_stub_{_RID.get()}", **extra}
        for k, v in {"requests-reset": reset, "tokens-reset": reset, **self.ratelimits}.items():
            hdrs[f"anthropic-ratelimit-{k}"] = v
        hdrs.update({"content-length": length} if length is not None else {"transfer-encoding": "chunked"})
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"] + [f"{k}: {v}" for k, v in hdrs.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _json(self, writer: asyncio.StreamWriter, status: int, payload: Any, **extra: Any) -> bool:
        data = json.dumps(payload).encode()
        writer.write(self._headers(status, "application/json", extra, len(data)) + data)
        await writer.drain()
        return True

    async def _error(self, writer: asyncio.StreamWriter, status: int, etype: str, message: str = "",
                     **extra: Any) -> bool:
        body = {"type": "error", "error": {"type": etype, "message": message or f"stub {etype} ({status})"},
                "request_id": f"req_stub_{_RID.get()}"}
        return await self._json(writer, status, body, **extra)

    # -- API
    async def _handle(self, method: str, path: str, headers: dict, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        self._counter += 1
        _RID.set(f"{self._counter:08d}")
        try:
            req = json.loads(raw) if raw else {}
        except ValueError:
            req = None
        self.requests.append(RecordedRequest(method, path, headers, req))
        if req is None or (method == "POST" and not isinstance(req, dict)):
            return await self._error(writer, 400, "invalid_request_error")
        if method == "POST" and path == "/v1/messages/count_tokens":
            return await self._json(writer, 200, {"input_tokens": sum(self._input_usage(req, False).values())})
        if method == "GET" and path == "/stub/usage":  # what the stub billed, for benchmarks' reconciliation
            return await self._json(writer, 200, {**self.usage, "requests": sum(r.path == "/v1/messages" for r in self.requests),
                                                  "http_faults": self.http_faults_served})
        if method != "POST" or path != "/v1/messages":
            return await self._error(writer, 404, "not_found_error")
        refused = request_problem(req)
        if refused:
            self.refused.append(refused)
            return await self._error(writer, 400, "invalid_request_error", message=refused)
        fault = self._faults.popleft() if self._faults else self._random_fault()
        if fault and fault.kind == "http":
            self.http_faults_served += 1
            extra = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return await self._error(writer, fault.status, fault.error_type, **extra)
        reply, blocks, usage = await self._plan(req, raw)
        if fault and fault.kind == "max_tokens":
            blocks, cut = _cut(blocks, fault.after_tokens)
            reply.stop_reason = "max_tokens" if cut else reply.stop_reason
            reply.output_tokens = None
        usage["output_tokens"] = reply.output_tokens if reply.output_tokens is not None else \
            max(1, round(sum(t for b in blocks for _, t in b.pieces)))
        stop = reply.stop_reason or ("tool_use" if reply.tool_input is not None else "end_turn")
        message = {"id": f"msg_stub_{_RID.get()}", "type": "message", "role": "assistant",
                   "model": req.get("model", "claude-stub"), "content": [], "stop_reason": None,
                   "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
        if req.get("stream"):
            return await self._stream(writer, message, blocks, usage, stop, fault)
        if fault and fault.kind in ("truncate", "error_mid_stream"):
            return False if fault.kind == "truncate" else await self._error(writer, 529, "overloaded_error")
        await asyncio.sleep((fault.seconds if fault and fault.kind == "stall" else 0) + self.ttft +
                            (usage["output_tokens"] / self.tokens_per_second if self.tokens_per_second else 0))
        self._count(usage)
        message.update(stop_reason=stop, usage=usage, content=[self._final_block(b) for b in blocks])
        return await self._json(writer, 200, message)

    def _random_fault(self) -> Fault | None:
        rng = self._fault_rng
        if not self.fault_rate or rng.random() >= self.fault_rate:
            return None
        return rng.choice([
            lambda: Fault.overloaded(), lambda: Fault.rate_limited(retry_after=0.5), lambda: Fault.server_error(),
            lambda: Fault.error_mid_stream(after_tokens=rng.randint(0, 900)),
            lambda: Fault.truncate(after_tokens=rng.randint(0, 900)),
            lambda: Fault.max_tokens(after_tokens=rng.randint(200, 1500)),
        ])()

    def _input_usage(self, req: dict, remember: bool = True) -> dict[str, int]:
        """input / cache_creation / cache_read split: the prefix through the last cache_control block
        is written the first time this stub sees it and read afterwards."""
        segs = _texts(req)
        total = math.ceil(sum(len(t) for t, _ in segs) / 4)
        marks = [i for i, (_, cc) in enumerate(segs) if cc]
        if not marks:
            return dict(input_tokens=total, cache_creation_input_tokens=0, cache_read_input_tokens=0)
        prefix = segs[: marks[-1] + 1]
        cached = math.ceil(sum(len(t) for t, _ in prefix) / 4)
        key = hashlib.sha256(json.dumps([req.get("model"), prefix]).encode()).hexdigest()
        hit = key in self._cached
        if remember:
            self._cached.add(key)
        return dict(input_tokens=total - cached, cache_creation_input_tokens=0 if hit else cached,
                    cache_read_input_tokens=cached if hit else 0)

    async def _plan(self, req: dict, raw: bytes) -> tuple[Reply, list[_Block], dict[str, int]]:
        rng = random.Random(hashlib.sha256(raw).digest())
        reply = self.responder(req) if self.responder else None
        reply = (await reply) if inspect.isawaitable(reply) else reply
        reply = Reply(text=reply) if isinstance(reply, str) else reply or default_reply(req, rng, self.under_write)
        blocks = []
        if reply.thinking is not None:
            sig = base64.b64encode(hashlib.sha256(raw + reply.thinking.encode()).digest() * 2).decode()
            blocks.append(_Block("thinking", _word_pieces(reply.thinking), signature=sig))
        if reply.text is not None:
            blocks.append(_Block("text", _word_pieces(reply.text)))
        if reply.tool_input is not None:
            js = json.dumps(reply.tool_input, ensure_ascii=False)
            blocks.append(_Block("tool_use", [(js[i:i + JSON_CHARS_PER_DELTA], JSON_CHARS_PER_DELTA / 4)
                                              for i in range(0, len(js), JSON_CHARS_PER_DELTA)], reply.tool_name))
        usage = self._input_usage(req)
        for key, override in (("input_tokens", reply.input_tokens), ("cache_read_input_tokens", reply.cache_read),
                              ("cache_creation_input_tokens", reply.cache_write)):
            usage[key] = usage[key] if override is None else override
        return reply, blocks, usage

    def _final_block(self, b: _Block) -> dict:
        if b.kind == "thinking":
            return {"type": "thinking", "thinking": b.body, "signature": b.signature}
        if b.kind == "text":
            return {"type": "text", "text": b.body}
        try:
            data = json.loads(b.body)
        except ValueError:
            data = {}
        return {"type": "tool_use", "id": f"toolu_stub_{_RID.get()}", "name": b.name, "input": data}

    def _count(self, usage: dict[str, int]) -> None:
        for k in self.usage:
            self.usage[k] += usage.get(k, 0)

    async def _stream(self, writer: asyncio.StreamWriter, message: dict, blocks: list[_Block],
                      usage: dict[str, int], stop: str, fault: Fault | None) -> bool:
        async def send(event: str, data: dict) -> None:
            chunk = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()

        async def fire() -> bool:  # mid-stream faults; False closes the connection
            if fault.kind == "error_mid_stream":
                await send("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
                writer.write(b"0\r\n\r\n")
                await writer.drain()
            return False

        midstream = fault is not None and fault.kind in ("truncate", "error_mid_stream")
        writer.write(self._headers(200, "text/event-stream; charset=utf-8", {"cache-control": "no-cache"}, None))
        await writer.drain()
        if fault and fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
        await send("message_start", {"type": "message_start", "message": message})
        for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
            self.usage[key] += usage[key]
        await asyncio.sleep(self.ttft)
        start, sent = time.monotonic(), 0.0
        for index, b in enumerate(blocks):
            start_block = {"thinking": {"type": "thinking", "thinking": "", "signature": ""},
                           "text": {"type": "text", "text": ""},
                           "tool_use": {"type": "tool_use", "id": f"toolu_stub_{_RID.get()}",
                                        "name": b.name, "input": {}}}[b.kind]
            await send("content_block_start", {"type": "content_block_start", "index": index,
                                               "content_block": start_block})
            if index == 0:
                await send("ping", {"type": "ping"})
            for piece, tokens in b.pieces:
                if midstream and sent >= fault.after_tokens:
                    return await fire()
                delta = {"thinking": {"type": "thinking_delta", "thinking": piece},
                         "text": {"type": "text_delta", "text": piece},
                         "tool_use": {"type": "input_json_delta", "partial_json": piece}}[b.kind]
                await send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
                sent += tokens
                if self.tokens_per_second:
                    await asyncio.sleep(max(0.0, start + sent / self.tokens_per_second - time.monotonic()))
            if b.kind == "thinking":
                await send("content_block_delta", {"type": "content_block_delta", "index": index,
                                                   "delta": {"type": "signature_delta", "signature": b.signature}})
            await send("content_block_stop", {"type": "content_block_stop", "index": index})
        if midstream:
            return await fire()
        await send("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                     "usage": usage})
        self.usage["output_tokens"] += usage["output_tokens"]
        await send("message_stop", {"type": "message_stop"})
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def main(argv: list[str] | None = None) -> None:
    """Run the stub as a process; prints its base URL on stdout."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tokens-per-second", type=float, default=0)
    ap.add_argument("--ttft", type=float, default=0)
    ap.add_argument("--responder", default="", help="module:function answering requests (see Reply)")
    ap.add_argument("--fault-rate", type=float, default=0.0, help="share of requests given a random fault")
    ap.add_argument("--under-write", type=float, default=1.0, help="write this share of the words asked for")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random faults")
    args = ap.parse_args(argv)
    responder = None
    if args.responder:
        import importlib

        module, _, attr = args.responder.partition(":")
        responder = getattr(importlib.import_module(module), attr)

    async def run() -> None:
        async with AnthropicStub(port=args.port, tokens_per_second=args.tokens_per_second, ttft=args.ttft,
                                 responder=responder, fault_rate=args.fault_rate, under_write=args.under_write,
                                 seed=args.seed) as stub:
            print(stub.base_url, flush=True)
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            await stop.wait()

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    asyncio.run(run())


if __name__ == "__main__":
    main()
