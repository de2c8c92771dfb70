"""The registry of personal-data holders covers every table that points at an account, and keeps the
records the law requires under a pseudonym."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row

from app.privacy.registry import Erasure, Holder, Person, PersonalData, owned_rows, pseudonymised_rows

# Tables that reference accounts yet hold nothing of the person beyond the reference: none today.
NOT_PERSONAL: set[str] = set()


async def test_every_table_referencing_accounts_has_a_holder(app: FastAPI, database_url: str) -> None:
    """A new table with a foreign key to accounts fails here until its domain registers a holder."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT DISTINCT conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'accounts'::regclass AND conparentid = 0"
        )  # a partition's copy of its table's key (conparentid) is covered by the table's holder
        referencing = {row[0] for row in await cur.fetchall()}
    registry: PersonalData = app.state.personal_data
    assert referencing, "expected tables to reference accounts"
    missing = referencing - registry.tables() - NOT_PERSONAL
    assert not missing, f"no personal-data holder covers {sorted(missing)}: add one (app/privacy/holders.py)"
    assert "accounts" in registry.tables()


def test_sections_are_unique() -> None:
    async def nothing(*_: object) -> None:
        return None

    holder = Holder("profile", (), nothing, nothing)
    with pytest.raises(ValueError, match="profile"):
        PersonalData([holder, Holder("profile", (), nothing, nothing)], account=Holder("account", (), nothing, nothing))


async def test_pseudonymised_rows_keep_the_record_and_drop_the_person(database_url: str) -> None:
    """How a payment table joins: its rows outlive the erase, under the erasure's pseudonym only."""
    account_id = uuid.uuid4()
    person = Person(account_id, "payer@example.com")
    payments = pseudonymised_rows(
        "payments", "test_payments", cleared=("payer_name", "payer_email"), order_by="paid_at"
    )
    rows = owned_rows("notes", "test_notes", order_by="id", hidden=("secret",))
    registry = PersonalData([payments, rows], account=owned_rows("account", "test_accounts", owner="id", order_by="id"))
    connecting = psycopg.AsyncConnection.connect(database_url, row_factory=dict_row)
    async with await connecting as conn, conn.transaction(force_rollback=True):
        await conn.execute(
            """
            CREATE TEMP TABLE test_accounts (id uuid PRIMARY KEY);
            CREATE TEMP TABLE test_payments (
                id serial PRIMARY KEY, account_id uuid REFERENCES test_accounts(id) ON DELETE SET NULL,
                erased_pseudonym uuid, payer_name text, payer_email text, amount_cents int NOT NULL,
                paid_at timestamptz NOT NULL DEFAULT now());
            CREATE TEMP TABLE test_notes (
                id serial PRIMARY KEY, account_id uuid REFERENCES test_accounts(id), body text, secret text);
            """
        )
        await conn.execute("INSERT INTO test_accounts VALUES (%s)", (account_id,))
        await conn.execute(
            "INSERT INTO test_payments (account_id, payer_name, payer_email, amount_cents) "
            "VALUES (%s, 'Pat Payer', 'payer@example.com', 1500), (%s, 'Pat Payer', 'payer@example.com', 700)",
            (account_id, account_id),
        )
        await conn.execute(
            "INSERT INTO test_notes (account_id, body, secret) VALUES (%s, 'hello', 'hash')", (account_id,)
        )

        export = await registry.export(conn, person)
        assert [p["amount_cents"] for p in export["payments"]] == [1500, 700]
        assert export["notes"] == [{"id": 1, "account_id": str(account_id), "body": "hello"}]

        erasure = Erasure(person, pseudonym=uuid.uuid4())
        await registry.erase(conn, erasure)
        cur = await conn.execute("SELECT * FROM test_payments ORDER BY id")
        kept = await cur.fetchall()
        assert [(p["account_id"], p["payer_name"], p["payer_email"]) for p in kept] == [(None, None, None)] * 2
        assert {p["erased_pseudonym"] for p in kept} == {erasure.pseudonym}
        assert sum(p["amount_cents"] for p in kept) == 2200  # the books still add up
        cur = await conn.execute("SELECT count(*) AS n FROM test_notes")
        assert (await cur.fetchone())["n"] == 0  # type: ignore[index]
        cur = await conn.execute("SELECT count(*) AS n FROM test_accounts")
        assert (await cur.fetchone())["n"] == 0  # type: ignore[index]
