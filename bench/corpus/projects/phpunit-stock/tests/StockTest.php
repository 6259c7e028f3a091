<?php
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../src/Stock.php';

final class StockTest extends TestCase
{
    public function testReceivedStockIsAvailable(): void
    {
        $stock = new Stock();
        $stock->receive('AB-0001-B', 5);
        $stock->receive('AB-0001-B', 3);
        $this->assertSame(8, $stock->available('AB-0001-B'));
    }

    public function testReceivingNothingIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        (new Stock())->receive('AB-0001-B', 0);
    }

    public function testReservationLowersAvailability(): void
    {
        $stock = new Stock();
        $stock->receive('X', 10);
        $this->assertTrue($stock->reserve('X', 4));
        $this->assertSame(6, $stock->available('X'));
    }

    public function testReservingMoreThanAvailableFails(): void
    {
        $stock = new Stock();
        $stock->receive('X', 2);
        $this->assertFalse($stock->reserve('X', 3));
        $this->assertSame(2, $stock->available('X'));
    }

    public function testReservingExactlyWhatIsAvailableWorks(): void
    {
        $stock = new Stock();
        $stock->receive('X', 3);
        $this->assertTrue($stock->reserve('X', 3));
        $this->assertSame(0, $stock->available('X'));
    }

    public function testShippingUsesTheReservation(): void
    {
        $stock = new Stock();
        $stock->receive('X', 5);
        $stock->reserve('X', 2);
        $stock->ship('X', 2);
        $this->assertSame(3, $stock->available('X'));
    }

    public function testShippingUnreservedStockFails(): void
    {
        $stock = new Stock();
        $stock->receive('X', 5);
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage('only 0 reserved');
        $stock->ship('X', 1);
    }

    public function testReorderListIsSorted(): void
    {
        $stock = new Stock();
        $stock->receive('B', 1);
        $stock->receive('A', 2);
        $stock->receive('C', 50);
        $this->assertSame(['A', 'B'], $stock->belowReorderPoint(10));
    }

    public function testReservedStockCountsTowardsReorder(): void
    {
        $stock = new Stock();
        $stock->receive('A', 12);
        $stock->reserve('A', 5);
        $this->assertSame(['A'], $stock->belowReorderPoint(10));
    }
}
