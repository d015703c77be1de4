package io.switchboard.summaries;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import io.switchboard.common.SentenceEmbeddings;

/**
 * The built-in summariser: no network, no API key, nothing leaves the process. It ranks the transcript's sentences
 * by centrality (mean cosine similarity of their all-MiniLM-L6-v2 embeddings to every other sentence) plus
 * relevance to what the agent's owner tracks, picks about a fifth of them (at least three) by maximal marginal
 * relevance, and returns them in call order, speaker-prefixed. Being extractive it can only quote the call,
 * so variables and dispositions are reported as not produced rather than guessed.
 */
public final class ExtractiveSummarizer implements CallSummarizer {

    public static final String PROVIDER = "in-process";

    static final String NEEDS_LLM_VARIABLES =
            "the in-process summariser is extractive; configure an LLM provider to extract variables";
    static final String NEEDS_LLM_DISPOSITION =
            "the in-process summariser is extractive; configure an LLM provider to choose a disposition";

    /** Fillers ("Okay.", "Thanks so much.") carry no content; shorter units are ranked only if nothing longer exists. */
    private static final int MIN_WORDS = 4;
    /** Unpunctuated speech-recognition output arrives as one long "sentence"; it is cut into pieces of this size. */
    private static final int MAX_WORDS = 30;
    private static final int MIN_PICKS = 3;
    private static final double SHARE = 0.2;
    private static final double REDUNDANCY_WEIGHT = 0.5;

    /**
     * Centrality alone finds what the call was about but ranks "How are you doing today?" as high as the price.
     * Each sentence's score therefore adds its similarity to a focus text (the agent's summary instructions,
     * capture variables and disposition codes, plus this) and a bonus for concrete facts: figures, days, dates.
     */
    private static final String DEFAULT_FOCUS =
            "The outcome of the call: prices and amounts, agreed dates and times, commitments, next steps, decisions";
    private static final Pattern FACT = Pattern.compile("\\d|\\b(?i:monday|tuesday|wednesday|thursday|friday|saturday"
            + "|sunday|tomorrow|january|february|march|april|may|june|july|august|september|october|november"
            + "|december|percent|dollars?|euros?|pounds?)\\b");
    private static final double FACT_BONUS = 0.1;

    private final EmbeddingModel embeddings;

    public ExtractiveSummarizer(EmbeddingModel embeddings) {
        this.embeddings = embeddings;
    }

    /** Over the all-MiniLM-L6-v2 model bundled in the jar, loaded once per JVM on first use. */
    public static ExtractiveSummarizer create() {
        return new ExtractiveSummarizer(SentenceEmbeddings.shared());
    }

    @Override
    public String provider() {
        return PROVIDER;
    }

    @Override
    public boolean baaCovered() {
        return true;
    }

    @Override
    public SummaryResult summarize(SummaryRequest request) {
        var notProduced = new ArrayList<NotProduced>();
        if (!request.variables().isEmpty()) {
            notProduced.add(new NotProduced(NotProduced.VARIABLES, NEEDS_LLM_VARIABLES));
        }
        if (!request.dispositionCodes().isEmpty()) {
            notProduced.add(new NotProduced(NotProduced.DISPOSITION, NEEDS_LLM_DISPOSITION));
        }
        List<Sentence> sentences = sentences(request.transcript());
        Optional<String> summary;
        if (sentences.isEmpty()) {
            notProduced.addFirst(new NotProduced(NotProduced.SUMMARY, "empty transcript"));
            summary = Optional.empty();
        } else {
            summary = Optional.of(String.join("\n", pick(sentences, focus(request)).stream()
                    .map(s -> label(s.speaker()) + ": " + s.text()).toList()));
        }
        return new SummaryResult(summary, Map.of(), Optional.empty(), PROVIDER, ModelUsage.NONE, notProduced);
    }

    private List<Sentence> pick(List<Sentence> sentences, String focus) {
        int n = sentences.size();
        int k = Math.max(MIN_PICKS, (int) Math.round(n * SHARE));
        if (n <= k) {
            return sentences;
        }
        var texts = new ArrayList<TextSegment>(sentences.stream().map(s -> TextSegment.from(s.text())).toList());
        texts.add(TextSegment.from(focus));
        List<Embedding> vectors = embeddings.embedAll(texts).content();
        float[] focusVector = vectors.get(n).vector();
        double[][] similarity = new double[n][n];
        double[] centrality = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double sim = SentenceEmbeddings.cosine(vectors.get(i).vector(), vectors.get(j).vector());
                similarity[i][j] = sim;
                similarity[j][i] = sim;
            }
        }
        double[] score = new double[n];
        for (int i = 0; i < n; i++) {
            centrality[i] = Arrays.stream(similarity[i]).sum() / (n - 1);
            score[i] = centrality[i] + SentenceEmbeddings.cosine(vectors.get(i).vector(), focusVector)
                    + (FACT.matcher(sentences.get(i).text()).find() ? FACT_BONUS : 0);
        }
        boolean anySubstantial = sentences.stream().anyMatch(Sentence::substantial);
        List<Integer> ranked = IntStream.range(0, n).boxed()
                .filter(i -> !anySubstantial || sentences.get(i).substantial())
                .sorted(Comparator.comparingDouble((Integer i) -> -score[i]).thenComparingInt(i -> i))
                .toList();
        // maximal marginal relevance: each pick is penalised by its similarity to what is already chosen, so a
        // confirmation ("Thursday at 10 works") does not take the place of a second fact
        var chosen = new ArrayList<Integer>();
        var remaining = new ArrayList<Integer>(ranked);
        while (chosen.size() < k && !remaining.isEmpty()) {
            int best = remaining.getFirst();
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int candidate : remaining) {
                double redundancy = chosen.stream().mapToDouble(c -> similarity[c][candidate]).max().orElse(0);
                double value = score[candidate] - REDUNDANCY_WEIGHT * redundancy;
                if (value > bestValue) {
                    best = candidate;
                    bestValue = value;
                }
            }
            chosen.add(best);
            remaining.remove(Integer.valueOf(best));
        }
        return chosen.stream().sorted().map(sentences::get).toList();
    }

    /** What the call's owner wants kept: their instructions, the variables and outcomes they track, and the usual. */
    private static String focus(SummaryRequest request) {
        var parts = new ArrayList<String>();
        if (!request.instructions().isBlank()) {
            parts.add(request.instructions().strip());
        }
        request.variables().forEach(v -> parts.add(v.name().replace('_', ' ')
                + (v.description() == null || v.description().isBlank() ? "" : ": " + v.description())));
        request.dispositionCodes().forEach(c -> parts.add(c.replace('_', ' ').toLowerCase(Locale.ROOT)));
        parts.add(DEFAULT_FOCUS);
        return String.join(". ", parts);
    }

    record Sentence(Utterance.Speaker speaker, String text) {
        boolean substantial() {
            return words(text) >= MIN_WORDS;
        }
    }

    static List<Sentence> sentences(List<Utterance> transcript) {
        var out = new ArrayList<Sentence>();
        BreakIterator breaks = BreakIterator.getSentenceInstance(Locale.ROOT);
        for (Utterance u : transcript) {
            String text = u.text().strip();
            breaks.setText(text);
            int start = breaks.first();
            for (int end = breaks.next(); end != BreakIterator.DONE; start = end, end = breaks.next()) {
                String sentence = text.substring(start, end).strip();
                if (!sentence.isEmpty()) {
                    chunk(sentence).forEach(piece -> out.add(new Sentence(u.speaker(), piece)));
                }
            }
        }
        return out;
    }

    private static List<String> chunk(String sentence) {
        String[] words = sentence.split("\\s+");
        if (words.length <= MAX_WORDS) {
            return List.of(sentence);
        }
        var pieces = new ArrayList<String>();
        for (int from = 0; from < words.length; from += MAX_WORDS) {
            pieces.add(String.join(" ", Arrays.copyOfRange(words, from, Math.min(words.length, from + MAX_WORDS))));
        }
        return pieces;
    }

    private static int words(String text) {
        return text.isBlank() ? 0 : text.strip().split("\\s+").length;
    }

    static String label(Utterance.Speaker speaker) {
        return switch (speaker) {
            case AGENT -> "Agent";
            case CUSTOMER -> "Customer";
            case UNKNOWN -> "Speaker";
        };
    }
}
