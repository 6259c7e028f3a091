<?php
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../src/Sku.php';

final class SkuTest extends TestCase
{
    public function testCheckLetterWeighsEachDigit(): void
    {
        $this->assertSame('E', Sku::checkLetter(1234));
    }

    public function testCheckLetterOfZero(): void
    {
        $this->assertSame('A', Sku::checkLetter(0));
    }

    public function testMakePadsTheNumber(): void
    {
        $this->assertSame('AB-0042-U', Sku::make('AB', 42));
    }

    public function testMakeRefusesLowercaseFamilies(): void
    {
        $this->expectException(InvalidArgumentException::class);
        Sku::make('ab', 1);
    }

    public function testMakeRefusesLargeNumbers(): void
    {
        $this->expectException(InvalidArgumentException::class);
        Sku::make('AB', 10000);
    }

    public function testMakeAcceptsTheLargestNumber(): void
    {
        $this->assertStringStartsWith('ZZ-9999-', Sku::make('ZZ', 9999));
    }

    public function testMadeCodesAreValid(): void
    {
        foreach ([0, 7, 42, 1234, 9999] as $n) {
            $this->assertTrue(Sku::isValid(Sku::make('QR', $n)), "code for $n");
        }
    }

    public function testAWrongCheckLetterIsInvalid(): void
    {
        $this->assertFalse(Sku::isValid('AB-1234-A'));
    }

    public function testParseSplitsTheCode(): void
    {
        $this->assertSame(['family' => 'AB', 'number' => 42], Sku::parse('AB-0042-U'));
    }

    public function testParseRefusesGarbage(): void
    {
        $this->expectException(InvalidArgumentException::class);
        Sku::parse('nope');
    }
}
