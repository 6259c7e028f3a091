require_relative "../lib/textkit"

RSpec.describe Textkit do
  describe ".wrap" do
    it "keeps short text on one line" do
      expect(Textkit.wrap("one two", 20)).to eq(["one two"])
    end

    it "breaks at the width" do
      expect(Textkit.wrap("the quick brown fox jumps", 10)).to eq(["the quick", "brown fox", "jumps"])
    end

    it "fills a line exactly to the width" do
      expect(Textkit.wrap("abcd efgh", 9)).to eq(["abcd efgh"])
    end

    it "rejects a zero width" do
      expect { Textkit.wrap("a", 0) }.to raise_error(ArgumentError, /positive/)
    end
  end

  describe ".slug" do
    it "lowercases and joins words" do
      expect(Textkit.slug("Hello, World!")).to eq("hello-world")
    end

    it "trims separators at both ends" do
      expect(Textkit.slug("  --Ruby 3.2--  ")).to eq("ruby-3-2")
    end
  end

  describe ".truncate" do
    it "leaves short text alone" do
      expect(Textkit.truncate("short", 10)).to eq("short")
    end

    it "cuts and adds an ellipsis" do
      expect(Textkit.truncate("a long sentence", 10)).to eq("a long ...")
    end

    it "keeps text exactly at the limit" do
      expect(Textkit.truncate("1234567890", 10)).to eq("1234567890")
    end

    it "shortens the ellipsis when the limit is tiny" do
      expect(Textkit.truncate("abcdef", 2)).to eq("..")
    end
  end

  describe ".parse_ranges" do
    it "reads single numbers and ranges" do
      expect(Textkit.parse_ranges("1,3-5,9")).to eq([1, 3, 4, 5, 9])
    end

    it "sorts and removes duplicates" do
      expect(Textkit.parse_ranges("5,1-2,2")).to eq([1, 2, 5])
    end

    it "rejects a backwards range" do
      expect { Textkit.parse_ranges("5-1") }.to raise_error(ArgumentError, /backwards/)
    end

    it "skips empty parts" do
      expect(Textkit.parse_ranges("1,,2, ")).to eq([1, 2])
    end
  end

  describe ".collapse_ranges" do
    it "joins runs into ranges" do
      expect(Textkit.collapse_ranges([1, 2, 3, 5, 7, 8])).to eq("1-3,5,7-8")
    end

    it "round-trips with parse_ranges" do
      expect(Textkit.collapse_ranges(Textkit.parse_ranges("10-12,4,6-7"))).to eq("4,6-7,10-12")
    end
  end

  describe Textkit::Money do
    it "parses an amount with a currency" do
      expect(Textkit::Money.parse("12.5 USD")).to eq(Textkit::Money.new(1250, "USD"))
    end

    it "parses a negative amount" do
      expect(Textkit::Money.parse("-3.07").cents).to eq(-307)
    end

    it "rejects text that is no amount" do
      expect { Textkit::Money.parse("twelve") }.to raise_error(ArgumentError, /not an amount/)
    end

    it "adds amounts of one currency" do
      expect((Textkit::Money.new(150) + Textkit::Money.new(275)).cents).to eq(425)
    end

    it "refuses to add different currencies" do
      expect { Textkit::Money.new(1, "EUR") + Textkit::Money.new(1, "USD") }.to raise_error(ArgumentError)
    end

    it "splits without losing a cent" do
      parts = Textkit::Money.new(1000).split(3)
      expect(parts.map(&:cents)).to eq([334, 333, 333])
    end

    it "prints with two decimals" do
      expect(Textkit::Money.new(-1205, "GBP").to_s).to eq("-12.05 GBP")
    end
  end
end
