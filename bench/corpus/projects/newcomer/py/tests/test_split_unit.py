import unittest

from shop import split


class Split(unittest.TestCase):
    def test_remainder_goes_first(self):
        self.assertEqual(split(10, 3), [4, 3, 3])

    def test_even(self):
        self.assertEqual(split(9, 3), [3, 3, 3])

    def test_one_part(self):
        self.assertEqual(split(5, 1), [5])


def _case(cents, parts):
    def test(self):
        self.assertEqual(sum(split(cents, parts)), cents)

    return test


for _i in range(40):
    setattr(Split, f"test_sum_{_i:02d}", _case(_i * 37, _i % 7 + 1))
