import unittest

import pytest

from shop import split, total


@pytest.mark.parametrize("n", range(60))
def test_total_of_equal_lines(n):
    assert total([n] * 3) == 3 * n


def test_total_of_two_lines():
    assert total([1, 1999]) == 2000


@pytest.mark.parametrize("cents, parts", [(100, 3), (7, 7), (1000, 6), (1, 2), (999, 10)])
def test_split_adds_up(cents, parts):
    assert sum(split(cents, parts)) == cents


def test_split_keeps_the_remainder_first():
    assert split(1000, 6) == [167, 167, 167, 167, 166, 166]


class TotalCase(unittest.TestCase):
    def test_total_of_an_order(self):
        self.assertEqual(total([500, 1500]), 2000)
