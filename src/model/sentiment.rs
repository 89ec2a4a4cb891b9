//! Sentiment of feedback text: a lexicon scorer for Portuguese, English and Chinese with
//! negation, and a multinomial naive Bayes classifier over hashed word and character
//! n-grams, trained to tell low ratings (1-2) from high ones (4-5). Both are evaluated on
//! the newest rated feedback; the one with the higher macro F1 scores the text.

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::naive_bayes::multinomial::{MultinomialNB, MultinomialNBParameters};

use crate::ingest::fnv1a;
use crate::metrics::CaseFacts;

const POSITIVE: &[&str] = &[
    // Portuguese
    "bom",
    "boa",
    "ótimo",
    "otimo",
    "ótima",
    "otima",
    "excelente",
    "perfeito",
    "perfeita",
    "adorei",
    "amei",
    "recomendo",
    "gostei",
    "rápido",
    "rapido",
    "rápida",
    "rapida",
    "satisfeito",
    "satisfeita",
    "maravilhoso",
    "maravilhosa",
    "lindo",
    "linda",
    "parabéns",
    "parabens",
    "certinho",
    "correto",
    "qualidade",
    "eficiente",
    "confiável",
    "confiavel",
    "obrigado",
    "obrigada",
    "recebi",
    "chegou",
    "entregue",
    "antes",
    "super",
    "top",
    // English
    "good",
    "great",
    "excellent",
    "perfect",
    "love",
    "loved",
    "recommend",
    "fast",
    "quick",
    "happy",
    "satisfied",
    "thanks",
    "helpful",
    "friendly",
    "solved",
    "resolved",
    "amazing",
    "nice",
    "awesome",
    "received",
    "arrived",
    // Chinese
    "好",
    "不错",
    "满意",
    "喜欢",
    "推荐",
    "快",
    "值得",
    "完美",
    "棒",
    "赞",
    "漂亮",
    "舒服",
    "划算",
    "好吃",
    "新鲜",
    "实惠",
    "收到",
];

const NEGATIVE: &[&str] = &[
    // Portuguese
    "ruim",
    "péssimo",
    "pessimo",
    "péssima",
    "pessima",
    "horrível",
    "horrivel",
    "defeito",
    "defeituoso",
    "quebrado",
    "quebrada",
    "atraso",
    "atrasado",
    "atrasou",
    "errado",
    "errada",
    "problema",
    "reclamação",
    "reclamacao",
    "decepcionado",
    "decepcionada",
    "insatisfeito",
    "insatisfeita",
    "falta",
    "faltou",
    "faltando",
    "cancelado",
    "cancelei",
    "devolver",
    "devolução",
    "devolucao",
    "reembolso",
    "lixo",
    "enganosa",
    "absurdo",
    "demora",
    "demorou",
    "pior",
    "aguardando",
    "esperando",
    // English
    "bad",
    "terrible",
    "awful",
    "poor",
    "broken",
    "late",
    "delay",
    "delayed",
    "wrong",
    "problem",
    "refund",
    "worst",
    "slow",
    "disappointed",
    "unhappy",
    "waiting",
    "missing",
    "rude",
    "useless",
    // Chinese
    "差",
    "失望",
    "垃圾",
    "慢",
    "坏",
    "破",
    "退货",
    "假",
    "难吃",
    "贵",
    "后悔",
    "问题",
    "骗",
    "烂",
    "差评",
];

const NEGATORS: &[&str] = &[
    "não", "nao", "nem", "nunca", "sem", "not", "no", "never", "don't", "didn't", "nothing",
];
const CHINESE_NEGATORS: &[char] = &['不', '没', '别', '未', '无'];

/// Tokens after a negator whose polarity it flips.
const NEGATION_REACH: usize = 3;
/// Hash buckets of the classifier's n-gram counts.
const BUCKETS: usize = 2048;

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Scores text from -1 (negative) to 1 (positive), or `None` when no lexicon word occurs.
pub fn lexicon_score(text: &str) -> Option<f64> {
    let lower = text.to_lowercase();
    let mut positive = 0.0;
    let mut negative = 0.0;
    let mut count = |polarity: f64| {
        if polarity > 0.0 {
            positive += 1.0;
        } else {
            negative += 1.0;
        }
    };

    let mut negated_for = 0;
    for word in lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'') || is_cjk(c))
        .filter(|w| !w.is_empty())
    {
        if NEGATORS.contains(&word) {
            negated_for = NEGATION_REACH;
            continue;
        }
        let sign = if negated_for > 0 { -1.0 } else { 1.0 };
        negated_for = negated_for.saturating_sub(1);
        if POSITIVE.contains(&word) {
            count(sign);
        } else if NEGATIVE.contains(&word) {
            count(-sign);
        }
    }

    let chars: Vec<char> = lower.chars().collect();
    let mut index = 0;
    let mut negated_until = 0;
    while index < chars.len() {
        if !is_cjk(chars[index]) {
            index += 1;
            continue;
        }
        if CHINESE_NEGATORS.contains(&chars[index]) {
            negated_until = index + 1 + NEGATION_REACH;
            index += 1;
            continue;
        }
        let sign = if index < negated_until { -1.0 } else { 1.0 };
        let matched = (1..=3).rev().find_map(|len| {
            let end = index + len;
            if end > chars.len() {
                return None;
            }
            let piece: String = chars[index..end].iter().collect();
            if POSITIVE.contains(&piece.as_str()) {
                Some((len, 1.0))
            } else if NEGATIVE.contains(&piece.as_str()) {
                Some((len, -1.0))
            } else {
                None
            }
        });
        match matched {
            Some((len, polarity)) => {
                count(sign * polarity);
                index += len;
            }
            None => index += 1,
        }
    }

    let total = positive + negative;
    (total > 0.0).then(|| (positive - negative) / total)
}

/// Counts hashed word unigrams and bigrams, character trigrams, and Chinese character
/// unigrams and bigrams.
fn hashed_counts(text: &str) -> Vec<u32> {
    let lower = text.to_lowercase();
    let mut counts = vec![0_u32; BUCKETS];
    let mut add = |piece: &str, salt: u8| {
        let mut bytes = vec![salt];
        bytes.extend_from_slice(piece.as_bytes());
        counts[(fnv1a(&bytes) % BUCKETS as u64) as usize] += 1;
    };
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for word in &words {
        add(word, b'w');
    }
    for pair in words.windows(2) {
        add(&format!("{} {}", pair[0], pair[1]), b'b');
    }
    let chars: Vec<char> = lower.chars().filter(|c| !c.is_whitespace()).collect();
    for window in chars.windows(3) {
        add(&window.iter().collect::<String>(), b'c');
    }
    // Chinese has no spaces between words, so its single characters and pairs stand in
    // for words.
    for (index, c) in chars.iter().enumerate().filter(|(_, c)| is_cjk(**c)) {
        add(&c.to_string(), b'u');
        if let Some(next) = chars.get(index + 1) {
            add(&format!("{c}{next}"), b'p');
        }
    }
    counts
}

/// Accuracy and macro F1 over the two classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub accuracy: f64,
    pub macro_f1: f64,
}

fn scores(predicted: &[bool], actual: &[bool]) -> Scores {
    let n = actual.len().max(1) as f64;
    let correct = predicted.iter().zip(actual).filter(|(p, a)| p == a).count() as f64;
    let f1 = |class: bool| {
        let tp = predicted
            .iter()
            .zip(actual)
            .filter(|(p, a)| **p == class && **a == class)
            .count() as f64;
        let fp = predicted
            .iter()
            .zip(actual)
            .filter(|(p, a)| **p == class && **a != class)
            .count() as f64;
        let fn_ = predicted
            .iter()
            .zip(actual)
            .filter(|(p, a)| **p != class && **a == class)
            .count() as f64;
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        }
    };
    Scores {
        accuracy: correct / n,
        macro_f1: f64::midpoint(f1(true), f1(false)),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SentimentEvaluation {
    pub trained_on: usize,
    pub tested_on: usize,
    pub lexicon: Scores,
    pub classifier: Option<Scores>,
    /// "lexicon" or "classifier": the scorer with the higher macro F1.
    pub chosen: String,
}

type Classifier = MultinomialNB<u32, u32, DenseMatrix<u32>, Vec<u32>>;

/// Feedback scorer: the lexicon, or the classifier where it was better on held-out text.
#[derive(Debug, Serialize, Deserialize)]
pub struct SentimentModel {
    classifier: Option<Classifier>,
    /// Class the lexicon predicts for text without lexicon words: the more common one.
    default_positive: bool,
    pub evaluation: SentimentEvaluation,
}

/// Rated cases with feedback text, labelled true for ratings 4-5 and false for 1-2.
fn labelled(facts: &[CaseFacts]) -> Vec<(&str, bool, Option<i64>)> {
    let mut rows: Vec<(&str, bool, Option<i64>)> = facts
        .iter()
        .filter_map(|f| {
            let text = f.feedback.as_deref().filter(|t| !t.trim().is_empty())?;
            let score = f.satisfaction?;
            // Ratings of 3 are neither low nor high, so they stay out of both classes.
            (score <= 2.0 || score >= 4.0).then_some((text, score >= 4.0, f.event_time))
        })
        .collect();
    rows.sort_by_key(|(_, _, time)| *time);
    rows
}

fn matrix(texts: &[&str]) -> Option<DenseMatrix<u32>> {
    let mut values = Vec::with_capacity(texts.len() * BUCKETS);
    for text in texts {
        values.extend(hashed_counts(text));
    }
    DenseMatrix::new(texts.len(), BUCKETS, values, false).ok()
}

impl SentimentModel {
    /// Builds a lexicon-only model, for when there is no rated feedback to learn from.
    pub fn lexicon_only() -> SentimentModel {
        SentimentModel {
            classifier: None,
            default_positive: true,
            evaluation: SentimentEvaluation {
                chosen: "lexicon".to_string(),
                ..SentimentEvaluation::default()
            },
        }
    }

    /// Trains the classifier on the older 80% of rated feedback and compares both scorers
    /// on the newest 20%.
    pub fn train(facts: &[CaseFacts]) -> SentimentModel {
        let rows = labelled(facts);
        if rows.len() < 50 {
            return SentimentModel::lexicon_only();
        }
        let split = rows.len() * 4 / 5;
        let (train, test) = rows.split_at(split);
        let positives = train.iter().filter(|r| r.1).count();
        let default_positive = positives * 2 >= train.len();
        let actual: Vec<bool> = test.iter().map(|r| r.1).collect();

        let lexicon_predicted: Vec<bool> = test
            .iter()
            .map(|r| lexicon_score(r.0).map_or(default_positive, |s| s > 0.0))
            .collect();
        let lexicon = scores(&lexicon_predicted, &actual);

        let train_texts: Vec<&str> = train.iter().map(|r| r.0).collect();
        let labels: Vec<u32> = train.iter().map(|r| u32::from(r.1)).collect();
        let test_texts: Vec<&str> = test.iter().map(|r| r.0).collect();
        let classifier = matrix(&train_texts)
            .and_then(|x| Classifier::fit(&x, &labels, MultinomialNBParameters::default()).ok());
        let classifier_scores = classifier.as_ref().and_then(|model| {
            let predicted = model.predict(&matrix(&test_texts)?).ok()?;
            let predicted: Vec<bool> = predicted.iter().map(|c| *c == 1).collect();
            Some(scores(&predicted, &actual))
        });

        let use_classifier = classifier_scores.is_some_and(|s| s.macro_f1 > lexicon.macro_f1);
        let evaluation = SentimentEvaluation {
            trained_on: train.len(),
            tested_on: test.len(),
            lexicon,
            classifier: classifier_scores,
            chosen: if use_classifier {
                "classifier"
            } else {
                "lexicon"
            }
            .to_string(),
        };
        SentimentModel {
            classifier: if use_classifier { classifier } else { None },
            default_positive,
            evaluation,
        }
    }

    /// Scores each text from -1 to 1; `None` for empty text.
    pub fn score_all(&self, texts: &[Option<&str>]) -> Vec<Option<f64>> {
        let Some(classifier) = &self.classifier else {
            return texts
                .iter()
                .map(|t| {
                    t.filter(|t| !t.trim().is_empty())
                        .map(|t| lexicon_score(t).unwrap_or(0.0))
                })
                .collect();
        };
        let present: Vec<(usize, &str)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some((i, t.filter(|t| !t.trim().is_empty())?)))
            .collect();
        let mut out = vec![None; texts.len()];
        for chunk in present.chunks(2048) {
            let chunk_texts: Vec<&str> = chunk.iter().map(|(_, t)| *t).collect();
            let Some(predicted) = matrix(&chunk_texts).and_then(|x| classifier.predict(&x).ok())
            else {
                continue;
            };
            for ((index, _), class) in chunk.iter().zip(predicted) {
                out[*index] = Some(if class == 1 { 1.0 } else { -1.0 });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_reads_three_languages_with_negation() {
        let cases = [
            ("Produto ótimo, recomendo", 1.0),
            ("Não chegou meu produto", -1.0),
            ("Péssimo", -1.0),
            ("Great help, thanks", 1.0),
            ("not good at all", -1.0),
            ("质量很好，推荐", 1.0),
            ("不好，很失望", -1.0),
            ("没有收到", -1.0),
        ];
        for (text, expected) in cases {
            assert_eq!(lexicon_score(text), Some(expected), "{text}");
        }
        assert_eq!(lexicon_score("ok"), None);
    }

    #[test]
    fn scores_macro_f1() {
        let s = scores(&[true, true, false, false], &[true, false, false, false]);
        assert!((s.accuracy - 0.75).abs() < 1e-12);
        // F1(true) = 2/3, F1(false) = 0.8.
        assert!((s.macro_f1 - f64::midpoint(2.0 / 3.0, 0.8)).abs() < 1e-12);
    }
}
