//! Word statistics used by a small report generator.

/// Length of the first word, or 0 for no words.
pub fn first_len(words: &[&str]) -> usize {
    if words.is_empty() {
        return 0;
    }
    words[0].len()
}

/// Number of words longer than `min` characters.
pub fn longer_than(words: &[&str], min: usize) -> usize {
    words.iter().filter(|w| w.len() > min).count()
}

/// The words of `text`, split on whitespace and trimmed of punctuation.
pub fn words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_len_of_nothing_is_zero() {
        assert_eq!(first_len(&[]), 0);
    }

    #[test]
    fn first_len_of_one_word() {
        assert_eq!(first_len(&["hello"]), 5);
    }

    #[test]
    fn words_drop_punctuation() {
        assert_eq!(words("Hello, world!"), vec!["Hello", "world"]);
    }

    macro_rules! counts {
        ($($name:ident: $text:expr, $min:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(longer_than(&words($text), $min), $want);
            }
        )*};
    }

    counts! {
        count_00: "a bb ccc dddd", 0 => 4;
        count_01: "a bb ccc dddd", 1 => 3;
        count_02: "a bb ccc dddd", 2 => 2;
        count_03: "a bb ccc dddd", 3 => 1;
        count_04: "a bb ccc dddd", 4 => 0;
        count_05: "the quick brown fox", 3 => 2;
        count_06: "jumps over the lazy dog", 3 => 3;
        count_07: "", 0 => 0;
        count_08: "one, two; three.", 3 => 1;
        count_09: "x y z", 0 => 3;
        count_10: "rust is fun", 2 => 2;
        count_11: "tokens tokens tokens", 5 => 3;
        count_12: "a-b c_d e", 1 => 2;
        count_13: "ünïcödé wörds", 4 => 2;
        count_14: "1 22 333", 1 => 2;
        count_15: "  spaced   out  ", 3 => 2;
    }
}
