"""The keyed hash of an erased identifier is the same in Python and in the warehouse's SQL, and kinds never collide."""

from __future__ import annotations

import hashlib

import duckdb

from adledger.privacy import erased_key_hash


def test_python_and_sql_give_the_same_hash():
    expected = hashlib.sha256(b"salt:user:cus_0001").hexdigest()
    assert erased_key_hash("user", "cus_0001", "salt") == expected
    (sql,) = duckdb.connect().execute("select sha256(? || ':' || ? || ':' || ?)", ["salt", "user", "cus_0001"]).fetchone()
    assert sql == expected


def test_the_same_string_of_two_kinds_or_two_salts_differs():
    assert erased_key_hash("user", "x1", "s") != erased_key_hash("anonymous_id", "x1", "s")
    assert erased_key_hash("user", "x1", "s") != erased_key_hash("user", "x1", "t")
