<?php
// Stock-keeping unit codes: "AB-1234-X", a family, a number and a check letter.

final class Sku
{
    public static function checkLetter(int $number): string
    {
        $sum = 0;
        $digits = str_split(str_pad((string) $number, 4, "0", STR_PAD_LEFT));
        foreach ($digits as $i => $digit) {
            $sum += (int) $digit * ($i + 1);
        }
        return chr(ord("A") + $sum % 26);
    }

    public static function make(string $family, int $number): string
    {
        if (strlen($family) != 2 || strtoupper($family) !== $family) {
            throw new InvalidArgumentException("family must be two capital letters: $family");
        }
        if ($number < 0 || $number > 9999) {
            throw new InvalidArgumentException("number out of range: $number");
        }
        return sprintf("%s-%04d-%s", $family, $number, self::checkLetter($number));
    }

    public static function isValid(string $code): bool
    {
        if (preg_match('/^([A-Z]{2})-(\d{4})-([A-Z])$/', $code, $m) !== 1) {
            return false;
        }
        return self::checkLetter((int) $m[2]) === $m[3];
    }

    /** @return array{family: string, number: int} */
    public static function parse(string $code): array
    {
        if (!self::isValid($code)) {
            throw new InvalidArgumentException("not a valid SKU: $code");
        }
        return ["family" => substr($code, 0, 2), "number" => (int) substr($code, 3, 4)];
    }
}
