"""The `hotline` command: serve, match, tree import/export, user add, db upgrade."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from channels.telegram.cli import telegram_app
from channels.viber.cli import viber_app
from hotline.settings import Settings

app = typer.Typer(
    help="Hotline: a round-the-clock information line for a social-protection office.",
    no_args_is_help=True,
    add_completion=False,
)
tree_app = typer.Typer(help="Import and export the intent tree as YAML.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(tree_app, name="tree")
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")
app.add_typer(viber_app, name="viber")
app.add_typer(telegram_app, name="telegram")


def _database(settings: Settings) -> Any:
    from hotline import bootstrap
    from hotline.db import make_engine, make_sessionmaker

    engine = make_engine(settings.resolved_database_url())
    with bootstrap.one_at_a_time(engine):  # another node may be migrating the same database right now
        bootstrap.migrate(engine)
    return make_sessionmaker(engine)


def _share_metrics(settings: Settings) -> None:
    """Workers write their request counters to files that a scrape of any worker adds up."""
    import os
    import shutil

    from hotline.metrics import MULTIPROCESS_ENV

    folder = settings.data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)  # counters of an earlier run would be added in
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL + Redis only).")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (a line per webhook costs CPU under load: turn it off there).")
    ] = True,
) -> None:
    """Run the service (web chat, webhooks, staff pages)."""
    import logging.config

    import uvicorn

    from privacy.logs import log_config

    logging.config.dictConfig(log_config())  # no personal data in any log line (privacy/logs.py)
    settings = Settings()
    # uvicorn's loop/http "auto" take uvloop and httptools (uvicorn[standard]) when installed: both in C.
    if workers > 1:
        if not (settings.redis_url or settings.redis_sentinels) or not settings.database_url:
            raise typer.BadParameter(
                "several workers need HOTLINE_DATABASE_URL and HOTLINE_REDIS_URL (or HOTLINE_REDIS_SENTINELS)",
                param_hint="--workers",
            )
        from hotline import bootstrap
        from hotline.db import make_engine, make_sessionmaker

        # Migrate and load the demo pack once, before the workers start: workers racing to fill an
        # empty database would each publish the pack (other nodes starting now wait their turn).
        engine = make_engine(settings.resolved_database_url())
        bootstrap.prepare(engine, make_sessionmaker(engine), load_demo=settings.load_demo_pack)
        engine.dispose()
        _share_metrics(settings)
        uvicorn.run(
            "hotline.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=True,
            access_log=access_log,
            ws_per_message_deflate=False,
            log_config=log_config(),
        )
        return
    from hotline.app import create_app

    # Media-stream frames are base64 audio that hardly compresses: deflating WebSockets would only cost CPU.
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=True,
        access_log=access_log,
        ws_per_message_deflate=False,
        log_config=log_config(),
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations."""
    _database(Settings())
    typer.echo("database is up to date")


@tree_app.command("import")
def tree_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    draft_only: Annotated[bool, typer.Option("--draft-only", help="Only replace the draft; do not publish.")] = False,
    note: Annotated[str, typer.Option(help="A note for the version history.")] = "",
) -> None:
    """Validate FILE.yaml and make it the draft, then publish it (unless --draft-only).

    The same publish as the admin's: every check (test phrases included) and the same audit entries.
    """
    from hotline.admin import audit, drafts
    from hotline.admin.errors import AdminError
    from hotline.db import transaction
    from intents.pack import PackError, load_pack
    from intents.vector_store import SqlVectors

    settings = Settings()
    try:
        tree = load_pack(file)
    except PackError as exc:
        typer.echo(f"{file}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    sessions = _database(settings)
    actor = audit.CommandLine()
    matchers = drafts.MatcherCache(stores=[SqlVectors(sessions)], second_opinion=settings.second_opinion)
    matchers.get(tree)  # its phrase vectors are computed and stored before the import's transaction begins
    try:
        with transaction(sessions) as session:
            drafts.import_tree(session, actor=actor, tree=tree, source=file.name)
            if draft_only:
                typer.echo("draft saved")
                return
            version = drafts.publish(session, actor=actor, note=note or f"imported from {file.name}", matchers=matchers)
            version_id = version.id
    except drafts.Invalid as exc:
        typer.echo(f"{file}: not published, {len(exc.problems)} problem(s):", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem.slug}: {problem.message}", err=True)
        raise typer.Exit(code=1) from None
    except AdminError as exc:
        if exc.code == "nothing_to_publish":
            typer.echo("nothing to publish: the published tree is already this one")
            return
        typer.echo(f"{file}: not published: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"published version {version_id}")


@tree_app.command("export")
def tree_export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write; - for standard output.")],
    draft: Annotated[bool, typer.Option("--draft", help="Export the draft instead of the published tree.")] = False,
) -> None:
    """Write the published tree (or the draft) as YAML."""
    from intents import versions
    from intents.pack import dump_pack

    sessions = _database(Settings())
    with sessions() as session:
        if draft:
            record = versions.get_draft(session)
            tree = versions.to_tree(record) if record else None
        else:
            version_id = versions.current_version_id(session)
            tree = versions.load(session, version_id=version_id) if version_id else None
    if tree is None:
        typer.echo("there is no such tree yet", err=True)
        raise typer.Exit(code=1)
    text = dump_pack(tree)
    if str(file) == "-":
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {file}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="admin, operator or supervisor")],
    display_name: Annotated[str, typer.Option("--name", help="The name colleagues see.")] = "",
    skills: Annotated[
        list[str] | None,
        typer.Option("--skill", help="A queue the operator takes (a top-category slug); repeat it. None: all."),
    ] = None,
    languages: Annotated[
        list[str] | None,
        typer.Option("--lang", help="A language the operator speaks (uk, ru); repeat it. None: all."),
    ] = None,
    phone: Annotated[
        str, typer.Option(help="The operator's phone, rung for accepted calls (else their Twilio Client).")
    ] = "",
) -> None:
    """Add a staff user; the password is asked (or read from HOTLINE_NEW_PASSWORD); audited as the command line."""
    from hotline import users
    from hotline.admin import audit, staff
    from hotline.db import transaction
    from intents.pack import SLUG
    from intents.tree import LANGUAGES

    try:
        chosen = users.Role(role)
    except ValueError:
        raise typer.BadParameter("choose admin, operator or supervisor", param_hint="--role") from None
    if not all(SLUG.match(skill) for skill in skills or []):
        raise typer.BadParameter("a skill is a queue name: lower-case latin letters, digits, _", param_hint="--skill")
    if not set(languages or []) <= set(LANGUAGES):
        raise typer.BadParameter(f"choose from {', '.join(LANGUAGES)}", param_hint="--lang")
    if phone and not re.fullmatch(r"\+?[0-9]{5,15}", phone):
        raise typer.BadParameter("digits with an optional + in front", param_hint="--phone")
    password = os.environ.get("HOTLINE_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    profile = staff.Profile(display_name, chosen, skills or (), languages or (), phone)
    sessions = _database(Settings())
    try:
        with transaction(sessions) as session:
            staff.create(session, actor=audit.CommandLine(), username=username, password=password, profile=profile)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"added {chosen.value} {username}")


@app.command()
def match(
    text: Annotated[str | None, typer.Argument(help="What a citizen said or wrote.")] = None,
    lang: Annotated[str, typer.Option(help="uk or ru (for --batch: lines without a language column).")] = "uk",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    batch: Annotated[str | None, typer.Option(help="FILE or - : one utterance a line, or TSV lang<TAB>text.")] = None,
    pack: Annotated[
        Path | None, typer.Option(help="Match against this YAML pack instead of the published tree.")
    ] = None,
) -> None:
    """Which intent a text reaches: best intent, score and alternatives."""
    if lang not in {"uk", "ru"}:
        raise typer.BadParameter("choose uk or ru", param_hint="--lang")
    if (text is None) == (batch is None):
        raise typer.BadParameter("give TEXT or --batch FILE (not both)")
    matcher = _matcher(pack)
    if batch is None:
        assert text is not None
        result = _match_json(matcher, text, lang)
        typer.echo(json.dumps(result, ensure_ascii=False) if as_json else _match_line(result))
        return
    for line_lang, line in _batch_lines(batch, lang):
        sys.stdout.write(json.dumps(_match_json(matcher, line, line_lang), ensure_ascii=False) + "\n")


def _matcher(pack: Path | None) -> Any:
    from intents.pack import PackError, load_pack
    from intents.understanding import Understanding
    from intents.vector_store import SqlVectors

    settings = Settings()
    if pack is not None:
        try:
            return Understanding.build(load_pack(pack), second_opinion=settings.second_opinion)
        except PackError as exc:
            typer.echo(f"{pack}: {exc}", err=True)
            raise typer.Exit(code=1) from None
    from hotline.bootstrap import ensure_content
    from intents import versions

    sessions = _database(settings)
    ensure_content(sessions, load_demo=settings.load_demo_pack)
    with sessions() as session:
        version_id = versions.current_version_id(session)
        tree = versions.load(session, version_id=version_id) if version_id else None
    if tree is None:
        typer.echo("no tree is published: run 'hotline tree import FILE.yaml'", err=True)
        raise typer.Exit(code=1)
    return Understanding.build(tree, second_opinion=settings.second_opinion, stores=[SqlVectors(sessions)])


def _match_json(matcher: Any, text: str, lang: str) -> dict[str, Any]:
    result = matcher.match(text, lang)
    return {
        "text": text,
        "lang": lang,
        "intent": result.intent,
        "score": round(float(result.score), 2),
        "alternatives": [{"intent": c.slug, "score": round(float(c.score), 2)} for c in result.alternatives],
        "ambiguous": result.ambiguous,
        "confirm": result.confirm,
    }


def _match_line(result: dict[str, Any]) -> str:
    others = ", ".join(f"{a['intent']} {a['score']}" for a in result["alternatives"])
    best = result["intent"] or (f"(no intent; asks: {result['confirm']}?)" if result["confirm"] else "(no intent)")
    return f"{best} {result['score']}" + (f"   alternatives: {others}" if others else "")


def _batch_lines(source: str, default_lang: str) -> Iterator[tuple[str, str]]:
    stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    with stream:
        for raw in stream:
            line = raw.rstrip("\n\r")
            if line.startswith("lang\t"):
                continue  # a header row
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0].strip() in {"uk", "ru"}:
                yield parts[0].strip(), parts[-1]
            else:
                yield default_lang, line


@app.command()
def call(
    url: Annotated[str, typer.Option(help="The server's public base URL (default: HOTLINE_PUBLIC_URL).")] = "",
    number: Annotated[str, typer.Option("--from", help="The caller's phone number.")] = "+380501234567",
    queue_rounds: Annotated[int, typer.Option(min=1, help="Wait rounds before the caller hangs up.")] = 3,
    confidence: Annotated[float, typer.Option(min=0.0, max=1.0, help="Speech confidence to report.")] = 0.9,
) -> None:
    """Call the phone line as Twilio would: type keys, '"words' or 'say: words', Enter for silence."""
    from ivr.simulator import run

    settings = Settings()
    token = settings.twilio_auth_token.get_secret_value()
    if not token:
        typer.echo("set HOTLINE_TWILIO_AUTH_TOKEN (the token the server checks signatures with)", err=True)
        raise typer.Exit(code=2)
    lines = (line.rstrip("\n") for line in sys.stdin)
    code = run(
        url or settings.public_url,
        token,
        lines,
        sys.stdout,
        number=number,
        queue_rounds=queue_rounds,
        confidence=confidence,
        account_sid=settings.twilio_account_sid,
    )
    raise typer.Exit(code=code)


@app.command("registry-sandbox")
def registry_sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8010,
    prefix: Annotated[str, typer.Option(help="Header prefix: Uxp- (Trembita) or X-Road-.")] = "Uxp-",
    latency_ms: Annotated[int, typer.Option(min=0, help="Added before every answer.")] = 0,
    fault: Annotated[str, typer.Option(help="none, timeout, error500, error503, malformed or gateway.")] = "none",
) -> None:
    """Run the sandbox community registry (seeded people, switchable faults; API at /docs)."""
    from registry_client.sandbox import Fault, FaultSettings, serve

    try:
        chosen = Fault(fault)
    except ValueError:
        raise typer.BadParameter(", ".join(f.value for f in Fault), param_hint="--fault") from None
    serve(host=host, port=port, prefix=prefix, faults=FaultSettings(fault=chosen, latency_ms=latency_ms))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
