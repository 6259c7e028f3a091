# Small text utilities, written for the corpus: wrapping, slugs, ranges and money.
module Textkit
  def self.wrap(text, width)
    raise ArgumentError, "width must be positive" if width <= 0
    lines = []
    current = ""
    text.split(" ").each do |word|
      if current.empty?
        current = word
      elsif current.length + 1 + word.length <= width
        current = current + " " + word
      else
        lines << current
        current = word
      end
    end
    lines << current unless current.empty?
    lines
  end

  def self.slug(text)
    text.downcase.gsub(/[^a-z0-9]+/, "-").gsub(/^-+|-+$/, "")
  end

  def self.truncate(text, limit, ellipsis = "...")
    return text if text.length <= limit
    keep = limit - ellipsis.length
    return ellipsis[0, limit] if keep < 0
    text[0, keep] + ellipsis
  end

  def self.parse_ranges(spec)
    numbers = []
    spec.split(",").each do |part|
      part = part.strip
      next if part.empty?
      if part.include?("-")
        first, last = part.split("-", 2).map { |x| Integer(x) }
        raise ArgumentError, "backwards range #{part}" if first > last
        numbers.concat((first..last).to_a)
      else
        numbers << Integer(part)
      end
    end
    numbers.uniq.sort
  end

  def self.collapse_ranges(numbers)
    out = []
    sorted = numbers.uniq.sort
    i = 0
    while i < sorted.length
      j = i
      j += 1 while j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1
      out << (i == j ? sorted[i].to_s : "#{sorted[i]}-#{sorted[j]}")
      i = j + 1
    end
    out.join(",")
  end

  class Money
    attr_reader :cents, :currency

    def initialize(cents, currency = "EUR")
      @cents = cents
      @currency = currency
    end

    def self.parse(text)
      match = /\A(-)?(\d+)(?:\.(\d{1,2}))?\s*([A-Z]{3})?\z/.match(text.strip)
      raise ArgumentError, "not an amount: #{text}" if match.nil?
      cents = match[2].to_i * 100 + (match[3] || "0").ljust(2, "0").to_i
      cents = -cents if match[1]
      new(cents, match[4] || "EUR")
    end

    def +(other)
      raise ArgumentError, "currency mismatch" if other.currency != currency
      Money.new(cents + other.cents, currency)
    end

    def split(parts)
      raise ArgumentError, "parts must be positive" if parts < 1
      base = cents / parts
      rest = cents % parts
      (0...parts).map { |i| Money.new(base + (i < rest ? 1 : 0), currency) }
    end

    def to_s
      sign = cents < 0 ? "-" : ""
      format("%s%d.%02d %s", sign, cents.abs / 100, cents.abs % 100, currency)
    end

    def ==(other)
      other.is_a?(Money) && other.cents == cents && other.currency == currency
    end
  end
end
