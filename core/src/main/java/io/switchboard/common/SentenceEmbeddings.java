package io.switchboard.common;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * The all-MiniLM-L6-v2 sentence-embedding model bundled in the jar, loaded once per JVM on first use and shared by
 * everything that compares meanings in-process (the extractive summariser, the flow brain's intents and choices).
 */
public final class SentenceEmbeddings {

    private SentenceEmbeddings() {
    }

    public static EmbeddingModel shared() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final EmbeddingModel INSTANCE = new AllMiniLmL6V2EmbeddingModel();
    }

    /** Cosine similarity; 0 when either vector is all zeros. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
