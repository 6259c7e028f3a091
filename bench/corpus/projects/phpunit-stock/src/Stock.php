<?php
// A small stock ledger, written for the corpus: quantities, reservations and reorder points.

final class Stock
{
    /** @var array<string, int> */
    private array $onHand = [];
    /** @var array<string, int> */
    private array $reserved = [];

    public function receive(string $sku, int $quantity): void
    {
        if ($quantity <= 0) {
            throw new InvalidArgumentException("quantity must be positive, got $quantity");
        }
        $this->onHand[$sku] = ($this->onHand[$sku] ?? 0) + $quantity;
    }

    public function available(string $sku): int
    {
        return ($this->onHand[$sku] ?? 0) - ($this->reserved[$sku] ?? 0);
    }

    public function reserve(string $sku, int $quantity): bool
    {
        if ($quantity > $this->available($sku)) {
            return false;
        }
        $this->reserved[$sku] = ($this->reserved[$sku] ?? 0) + $quantity;
        return true;
    }

    public function ship(string $sku, int $quantity): void
    {
        $held = $this->reserved[$sku] ?? 0;
        if ($quantity > $held) {
            throw new RuntimeException("cannot ship $quantity of $sku: only $held reserved");
        }
        $this->reserved[$sku] = $held - $quantity;
        $this->onHand[$sku] -= $quantity;
    }

    /** @return list<string> */
    public function belowReorderPoint(int $point): array
    {
        $low = [];
        foreach ($this->onHand as $sku => $count) {
            if ($count - ($this->reserved[$sku] ?? 0) < $point) {
                $low[] = $sku;
            }
        }
        sort($low);
        return $low;
    }
}
