"""What a process keeps in memory follows the database: a change to it is applied once the
transaction that stored it commits, and forgotten if that transaction (or the savepoint it was
made in) rolls back.

>>> from sqlalchemy import create_engine
>>> seen = []
>>> with Session(create_engine("sqlite://")) as session, session.begin():
...     _ = session.connection()
...     after_commit(session, "example", lambda: seen.append("applied"))
...     seen.append("before commit")
>>> seen
['before commit', 'applied']
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_PENDING = "onewindow.risk.after_commit"

Pending = dict[str, tuple[SessionTransaction, Callable[[], object]]]


def _pending(session: Session) -> Pending:
    pending: Pending = session.info.setdefault(_PENDING, {})
    return pending


def after_commit(session: Session, key: str, apply: Callable[[], object]) -> None:
    """Run ``apply`` once the session's transaction commits; never if it rolls back.

    A later change under the same ``key`` in the same transaction replaces an earlier one.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError("after_commit needs a transaction in progress")
    _pending(session)[key] = (transaction, apply)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # A released savepoint hands its changes to the transaction around it.
        for key, (transaction, apply) in list(pending.items()):
            if transaction is savepoint and savepoint.parent is not None:
                pending[key] = (savepoint.parent, apply)
        return
    session.info.pop(_PENDING, None)
    for _, apply in pending.values():
        apply()


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # Whatever still belongs to an ended transaction was rolled back (or never committed).
    pending = session.info.get(_PENDING)
    if pending:
        for key in [k for k, (owner, _) in pending.items() if owner is transaction]:
            del pending[key]
