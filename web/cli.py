"""The `councillor-support` command: serve, run the scheduler, migrate, load demo data, manage users and
tokens, check diagrams and the audit chain. Configuration comes from the environment, as for the app."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from engine import shipping
from engine.errors import DiagramInvalid, EngineError
from engine.service import WorkflowService

if TYPE_CHECKING:
    from engine.scheduler import TimerScheduler


def _app() -> Flask:
    from web.app import create_app

    return create_app()


def _service(app: Flask) -> WorkflowService:
    return app.extensions["workflow"]


@click.group(help="Councillor Support: workflow for supporting councillors facing harassment and abuse.")
def main() -> None:
    pass


@main.command("init-db", help="Bring the database up to date and deploy the bundled diagrams.")
def init_db() -> None:
    from processes import DIAGRAMS
    from processes.self_starting import ensure_running

    app = _app()
    service = _service(app)
    click.echo("Migrating the database…")
    service.db.upgrade()
    click.echo("Deploying the process diagrams…")
    try:
        for line in shipping.describe(shipping.deploy_shipped(service, DIAGRAMS)):
            click.echo(f"  {line}")
    except DiagramInvalid as error:
        _print_problems(error)
        sys.exit(1)
    for line in ensure_running(service):
        click.echo(f"  {line}")
    click.echo("The database is ready.")


@main.command(help="Load demo users (one per role) and cases at different steps.")
def demo() -> None:
    from processes.demo import load_demo

    app = _app()
    for line in load_demo(_service(app), app.config["DEMO_PASSWORD"]):
        click.echo(line)


@main.command(help="Serve the web app and run the scheduler in one process (for one machine).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    app = _app()
    scheduler = _scheduler_for(app)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    click.echo(f"Councillor Support is running at http://{host}:{port}/ with its scheduler (Ctrl+C stops both).")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        scheduler.shutdown()


@main.command(help="Run the scheduler alone (in production, beside gunicorn serving the web app).")
def scheduler() -> None:
    scheduler = _scheduler_for(_app())
    click.echo("The scheduler is running: timers, reminders, email and the daily retention job (Ctrl+C stops).")
    try:
        scheduler.run()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown()


def _scheduler_for(app: Flask) -> TimerScheduler:
    """The scheduler over the app's service, re-armed by every commit and running the retention job daily."""
    from engine.retention import run_retention
    from engine.scheduler import TimerScheduler

    service = _service(app)
    uploads = Path(app.config["UPLOAD_FOLDER"])

    def retention() -> None:
        run_retention(service, remove_document=lambda key: (uploads / key).unlink(missing_ok=True))

    scheduler = TimerScheduler(service, daily=[retention])
    service.after_commit = scheduler.nudge
    return scheduler


@main.command("create-user", help="Create an account.")
@click.argument("email")
@click.option("--name", default="", help="The person's name as others will see it.")
@click.option("--role", "roles", multiple=True, help="A role slug; repeat for several roles.")
def create_user(email: str, name: str, roles: tuple[str, ...]) -> None:
    from engine import people
    from processes import CATALOGUE

    password = getpass.getpass("Password: ")
    service = _service(_app())
    try:
        with service.db.write() as session:
            user = people.create_user(session, email=email, name=name or email, password=password, roles=roles,
                                      known_roles=CATALOGUE.roles)
    except EngineError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(roles)) or 'none'}.")


@main.command("create-token", help="Create a personal API token for a user; it is shown once.")
@click.argument("email")
@click.option("--name", default="command line", help="What the token is for.")
def create_token(email: str, name: str) -> None:
    from sqlalchemy import func, select

    from engine import tokens
    from engine.models import User

    service = _service(_app())
    with service.db.write() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"There is no account for {email}.")
        secret = tokens.create_token(session, user.id, name)
    click.echo(secret)


@main.command("check-diagrams", help="Check every diagram and form; list each problem and exit non-zero.")
@click.option("--folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def check_diagrams(folder: Path | None) -> None:
    from processes import DIAGRAMS

    service = _service(_app())
    try:
        report = service.check_folder(folder or DIAGRAMS)
    except DiagramInvalid as error:
        _print_problems(error)
        sys.exit(1)
    if report.problems:
        _print_problems(DiagramInvalid(report.problems))
        sys.exit(1)
    processes = sorted(p for ids in report.processes_by_file.values() for p in ids)
    click.echo(f"All {len(processes)} diagrams are valid: {', '.join(processes)}.")


@main.command("verify-audit", help="Check the audit log's hash chain from the first event to the last.")
def verify_audit() -> None:
    report = _service(_app()).verify_audit()
    if not report.intact:
        click.echo(f"The audit chain is broken at event {report.broken_at}: {report.reason}.", err=True)
        sys.exit(1)
    click.echo(f"The audit chain is intact: {report.events} events.")


def _print_problems(error: DiagramInvalid) -> None:
    click.echo(f"{len(error.problems)} problem(s):", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
