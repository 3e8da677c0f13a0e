"""``onewindow declarations ...``: lodge WCO Data Model files from the shell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onewindow.clearance import service as clearance
from onewindow.db import session_scope
from onewindow.declarations import service as declarations
from onewindow.declarations.lifecycle import AMENDABLE, Status, allowed
from onewindow.declarations.schemas import DeclarationIn
from onewindow.declarations.validation import Outcome, RuleWarning, kind_of
from onewindow.errors import DomainError, FieldError
from onewindow.formats import service as formats
from onewindow.formats import wco
from onewindow.formats.wco import WcoRefusal
from onewindow.parties import service as parties

app = typer.Typer(help="Goods declarations.")


def _reasons(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        parts = [_error(e) for e in exc.errors[:10]] or [exc.detail]
        return "; ".join(parts)
    return str(exc)


def _error(error: FieldError) -> str:
    """``/items/0/value an imported item states its invoice price (rule item-value-required)``"""
    rule = f" (rule {error.rule})" if error.rule else ""
    return f"{error.pointer} {error.detail}{rule}"


def _warnings(warnings: Sequence[RuleWarning]) -> str:
    return "".join(f"; warning {w.pointer} [{w.rule}]: {w.text}" for w in warnings)


KIND_WORDS = {
    "simplified": "simplified declaration",
    "supplementary": "supplementary declaration",
    "clearance_request": "customs clearance request",
    "final_supplementary": "final supplementary declaration",
    "special_fiscal": "special fiscal territories declaration",
}


def _dry_run_request(session: Session, request: wco.WcoRequest) -> tuple[str, Outcome]:
    """Check an amendment or a cancellation as such: it names a lodged declaration and says
    why; an amendment's changes, applied to that declaration when it is lodged here, must
    give a valid declaration that can still be amended."""
    outcome = Outcome()
    number = request.declaration_number
    what = f"{request.kind} of {number or '(no declaration named)'}"
    if not number:
        outcome.errors.append(
            FieldError("/ID", "a request names the lodged declaration", "required", "request-id")
        )
    if request.kind == "amendment" and not (request.changes or request.patch):
        outcome.errors.append(
            FieldError("/Amendment", "an amendment says what changes", "required", "amendment")
        )
    if request.kind == "cancellation" and not request.reason:
        outcome.errors.append(
            FieldError(
                "/AdditionalInformation", "a cancellation says why", "required", "cancel-reason"
            )
        )
    found = declarations.by_number(session, number) if number else None
    if number and found is None:
        outcome.warnings.append(
            RuleWarning(
                "/ID",
                "request-target",
                f"declaration {number} is not lodged here, so the {request.kind} was checked "
                f"on its own; lodged, {'an' if request.kind[0] in 'aeiou' else 'a'} {request.kind} "
                "of an unknown declaration is refused",
            )
        )
    elif found is not None:
        target = Status.CANCELLED if request.kind == "cancellation" else None
        if request.kind == "amendment" and Status(found.status) not in AMENDABLE:
            outcome.errors.append(
                FieldError("/ID", f"declaration {number} is {found.status}", "lifecycle", "amend")
            )
        elif target is not None and not allowed(found.status, target):
            outcome.errors.append(
                FieldError("/ID", f"declaration {number} is {found.status}", "lifecycle", "cancel")
            )
        if request.kind == "amendment":
            try:
                body = DeclarationIn.model_validate(
                    declarations.patched(found.content, request.patch)
                )
            except ValidationError as exc:
                outcome.errors.append(FieldError("/", str(exc.errors()[0]["msg"]), "invalid"))
            else:
                checked = declarations.check_outcome(session, body, date.today(), dry_run=True)
                outcome.errors += checked.errors
                outcome.warnings += checked.warnings
    return what, outcome


def _repaired(repairs: Sequence[str]) -> list[RuleWarning]:
    return [RuleWarning("/xml", "document-recovered", text) for text in repairs]


def _line(path: Path, kind: str, outcome: Outcome) -> str:
    if outcome.errors:
        return f"{path}: rejected: " + "; ".join(_error(e) for e in outcome.errors[:10])
    shown = f" ({kind})" if kind else ""
    return f"{path}: ok{shown}{_warnings(outcome.warnings)}"


def _dry_run(session: Session, path: Path, message: Any) -> tuple[str, bool]:
    if isinstance(message, wco.WcoRequest):
        what, outcome = _dry_run_request(session, message)
        outcome.warnings[:0] = _repaired(message.repairs)
        return _line(path, what, outcome), not outcome.errors
    outcome = declarations.check_outcome(session, message.body, date.today(), dry_run=True)
    outcome.warnings[:0] = _repaired(message.repairs)
    kind = KIND_WORDS.get(kind_of(message.body, declarations.rule_set()), "")
    return _line(path, kind, outcome), not outcome.errors


def _read(data: bytes, dry_run: bool) -> Any:
    """A declaration or a request from a WCO DEC file, or a declaration from a CUSDEC."""
    if formats.is_edifact(data):
        return formats.WcoDeclaration(formats.declaration_from_cusdec(data))
    return formats.message_from_wco(data, recover=dry_run)


@app.command("import-wco")
def import_wco(
    files: Annotated[
        list[Path],
        typer.Argument(help="WCO Data Model 3.6 DEC files, or UN/EDIFACT CUSDEC interchanges"),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="map and check only; lodge nothing")
    ] = False,
    as_user: Annotated[
        str | None, typer.Option("--as", help="e-mail of the user who lodges (not for a dry run)")
    ] = None,
) -> None:
    """Lodge each file; print ``FILE: accepted NUMBER`` or ``FILE: rejected: REASONS``.

    A file that opens with ``UNA`` or ``UNB`` is read as a UN/EDIFACT CUSDEC interchange, the
    rest as WCO XML; both go through the same rules.

    Declarations are lodged; amendments (type COR) amend the declaration they name, a new
    version; cancellations (type INV) cancel it, by the lifecycle's rules. Warnings of the
    national rule set follow ``accepted`` as ``; warning POINTER [RULE]: TEXT``.

    With --dry-run, check the schema, the mapping, code lists, the nomenclature and the
    business rules under the national rule set, printing ``FILE: ok`` (with the kind when it is
    not a plain goods declaration, then the warnings) or ``FILE: rejected: REASONS``. A dry run
    reads a document that is not well-formed as written after a stated repair; lodging never.
    """
    if not dry_run and not as_user:
        typer.echo("Say who lodges with --as EMAIL, or use --dry-run.", err=True)
        raise typer.Exit(2)
    failures = 0
    for path in files:
        try:
            message = _read(path.read_bytes(), dry_run)
        except (DomainError, WcoRefusal, OSError) as exc:
            typer.echo(f"{path}: rejected: {_reasons(exc)}")
            failures += 1
            continue
        with session_scope() as session:
            if dry_run:
                line, passed = _dry_run(session, path, message)
                typer.echo(line)
                failures += not passed
                continue
            user = parties.find_user(session, as_user or "")
            if user is None:
                typer.echo(f"No user {as_user}.", err=True)
                raise typer.Exit(2)
            principal = parties.principal_for_user(user, "cli")
            try:
                if isinstance(message, wco.WcoRequest):
                    declaration = clearance.apply_request(
                        session,
                        principal,
                        message.kind,
                        message.declaration_number,
                        patch=message.patch,
                        reason=message.reason,
                    )
                    typer.echo(
                        f"{path}: accepted {declaration.number} version {declaration.version}"
                    )
                    continue
                lodgement = clearance.lodge(session, principal, message.body)
            except DomainError as exc:
                typer.echo(f"{path}: rejected: {_reasons(exc)}")
                failures += 1
                continue
            declaration = lodgement.declaration
            if declaration.number:
                shown = "".join(
                    f"; warning {w['pointer']} [{w['rule']}]: {w['text']}"
                    for w in declaration.warnings or []
                )
                typer.echo(f"{path}: accepted {declaration.number}{shown}")
            else:
                failures += 1
                shown = "; ".join(f"{e['pointer']} {e['detail']}" for e in declaration.errors[:10])
                typer.echo(f"{path}: rejected: {shown}")
    if failures:
        raise typer.Exit(1)
