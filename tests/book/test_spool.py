"""The report's lists: the first items in memory, the rest in a temporary file, read back
in order and whole."""

from __future__ import annotations

import pytest

from pressctl.book import spool
from pressctl.book.spool import Spool
from pressctl.errors import Problem


def problems(count: int) -> list[Problem]:
    return [Problem(f"big.csv:{line}", f"problem {line}") for line in range(2, count + 2)]


def test_a_short_list_stays_in_memory_and_behaves_like_a_list():
    items = Spool(problems(3))
    assert items == problems(3) and len(items) == 3 and items.in_memory == 3
    assert items[0] == problems(3)[0] and items[-1] == problems(3)[-1]
    assert items[:2] == problems(3)[:2]
    assert Spool() == [] and not Spool()


@pytest.mark.parametrize("count", [11, 10 + spool.BATCH, 10 + 3 * spool.BATCH + 7])
def test_a_long_list_holds_few_items_in_memory_and_gives_every_item_back_in_order(count):
    items: Spool[Problem] = Spool(kept=10)
    for problem in problems(count):
        items.append(problem)
    assert items.in_memory < 10 + spool.BATCH  # the head and at most one batch
    assert len(items) == count
    assert list(items) == problems(count)
    assert list(items) == problems(count)  # read again: the file is re-read from its start
    assert items[:5] == problems(count)[:5] and items[count - 1] == problems(count)[-1]
    assert items[10:12] == problems(count)[10:12]


def test_the_file_is_used_only_past_the_kept_items(monkeypatch):
    monkeypatch.setattr(spool, "KEPT", 4)
    items = Spool(problems(4))
    assert items._file is None
    items.extend(problems(spool.BATCH + 4)[4:])
    assert items._file is not None and items.in_memory == 4
    assert items == problems(spool.BATCH + 4)
    items.close()
