package io.switchboard.conversation.brain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.langchain4j.model.embedding.EmbeddingModel;
import io.switchboard.common.SentenceEmbeddings;

/**
 * Which of several labelled sets of example phrases an answer means. First by words: the label one of whose phrases
 * the answer contains (the longest such phrase wins, so "not interested" beats "interested"); then by meaning: the
 * label whose closest phrase has the highest cosine similarity of all-MiniLM-L6-v2 sentence embeddings, if that is at
 * least {@code threshold} and ahead of every other label by {@code margin}. A near tie is no match: asking again is
 * better than guessing. Phrase vectors (not answers) are cached: flows reuse the same phrases on every call.
 */
final class Meanings {

    /** A label that was matched, by words ({@code score} 1) or by meaning. */
    record Match(String label, double score) {
    }

    private static final int MAX_CACHED = 50_000;

    private final EmbeddingModel model;
    private final Map<String, float[]> cache = new ConcurrentHashMap<>();

    Meanings(EmbeddingModel model) {
        this.model = model;
    }

    static Meanings shared() {
        return Shared.INSTANCE;
    }

    private static final class Shared {
        static final Meanings INSTANCE = new Meanings(SentenceEmbeddings.shared());
    }

    /** {@code phrases}: label → example phrases, in order of preference on ties by words. */
    Optional<Match> match(String answer, Map<String, List<String>> phrases, double threshold, double margin) {
        String n = Words.normalize(answer);
        if (n.isEmpty()) {
            return Optional.empty();
        }
        List<String> byWords = byWords(n, phrases);
        if (byWords.size() == 1) {
            return Optional.of(new Match(byWords.getFirst(), 1));
        }
        if (byWords.size() > 1) {
            return Optional.empty();
        }
        return byMeaning(answer, phrases, threshold, margin);
    }

    /**
     * The label whose longest phrase the answer contains; several labels when they tie ("phone or email": the
     * caller has not chosen); none when no phrase occurs.
     */
    static List<String> byWords(String normalized, Map<String, List<String>> phrases) {
        String best = null;
        int bestLength = 0;
        boolean tie = false;
        for (var e : phrases.entrySet()) {
            for (String p : e.getValue()) {
                int length = Words.normalize(p).length();
                if (Words.containsPhrase(normalized, p)) {
                    if (length > bestLength) {
                        best = e.getKey();
                        bestLength = length;
                        tie = false;
                    } else if (length == bestLength && !e.getKey().equals(best)) {
                        tie = true;
                    }
                }
            }
        }
        if (best == null) {
            return List.of();
        }
        if (!tie) {
            return List.of(best);
        }
        int length = bestLength;
        return phrases.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(p ->
                Words.normalize(p).length() == length && Words.containsPhrase(normalized, p))).map(Map.Entry::getKey)
                .toList();
    }

    /** The best label by meaning alone, with every label's score, for callers that weigh several sets. */
    Map<String, Double> scores(String answer, Map<String, List<String>> phrases) {
        float[] a = model.embed(forModel(answer)).content().vector();
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : phrases.entrySet()) {
            double best = -1;
            for (String p : e.getValue()) {
                best = Math.max(best, SentenceEmbeddings.cosine(a, vector(forModel(p))));
            }
            out.put(e.getKey(), best);
        }
        return out;
    }

    Optional<Match> byMeaning(String answer, Map<String, List<String>> phrases, double threshold,
                                      double margin) {
        Map<String, Double> scores = scores(answer, phrases);
        List<Map.Entry<String, Double>> ranked = new ArrayList<>(scores.entrySet());
        ranked.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        if (ranked.isEmpty() || ranked.getFirst().getValue() < threshold) {
            return Optional.empty();
        }
        if (ranked.size() > 1 && ranked.getFirst().getValue() - ranked.get(1).getValue() < margin) {
            return Optional.empty();
        }
        return Optional.of(new Match(ranked.getFirst().getKey(), ranked.getFirst().getValue()));
    }

    /** The model reads lower-cased text with its apostrophes ("i'm"), as trained, not the extractors' form. */
    private static String forModel(String text) {
        return text.strip().toLowerCase(java.util.Locale.ROOT);
    }

    private float[] vector(String text) {
        if (cache.size() > MAX_CACHED) {
            cache.clear();
        }
        return cache.computeIfAbsent(text, s -> model.embed(s).content().vector());
    }
}
