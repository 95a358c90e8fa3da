"""A read-model query's current-only form, for a generic plan that reaches the current rows' indexes.

The read model's queries answer now or as of a position with one parameter: each table is tested
`(($n IS NULL AND x.valid_to IS NULL) OR ($n IS NOT NULL AND int8range(x.valid_from, x.valid_to)
@> $n))`.
With custom plans PostgreSQL folds the test away and reaches the partial indexes of current rows
(`WHERE valid_to IS NULL`), but plans the statement at every call: ~3-5 ms for the candidate
query, 40 % of its time in PostgreSQL under bench.load. A generic plan is made once per
connection, yet cannot prove a partial index's predicate from an OR over a parameter. Here each
test becomes `(x.valid_to IS NULL AND $n IS NULL)`: the predicate a plain conjunct, the parameter
still the statement's (a one-time filter), so the arguments stay those of the full query.
"""

from __future__ import annotations

import re

_AS_OF_TEST = re.compile(
    r"\(\((?P<n>\$\d+)::bigint IS NULL AND (?P<t>\w+\.)?valid_to IS NULL\)\s+"
    r"OR \((?P=n)::bigint IS NOT NULL"
    r" AND int8range\((?P=t)?valid_from, (?P=t)?valid_to\) @> (?P=n)::bigint\)\)"
)


def current_only(sql: str) -> str:
    """`sql` with every now-or-as-of test of a table reduced to its current half; ValueError if
    it has none, or keeps an as-of test this does not recognise (it would then read old rows)."""
    reduced, count = _AS_OF_TEST.subn(r"(\g<t>valid_to IS NULL AND \g<n>::bigint IS NULL)", sql)
    if count == 0 or "IS NOT NULL AND int8range" in reduced:
        raise ValueError("the query's now-or-as-of tests are not all of the recognised form")
    return reduced
