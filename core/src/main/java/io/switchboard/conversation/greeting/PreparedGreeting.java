package io.switchboard.conversation.greeting;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A greeting synthesised before its call was answered: its sentences as the brain will say them, each with its
 * audio in {@code voice} at {@code sampleRate}. The engine plays a sentence from here instead of synthesising it only
 * when the brain says exactly that sentence next, in the same voice and at the same rate; anything else (the agent
 * was edited meanwhile, an LLM brain split the text differently) is synthesised as usual.
 */
public record PreparedGreeting(String voice, int sampleRate, List<Sentence> sentences) {

    /** One sentence and its audio, PCM16 mono. */
    public record Sentence(String text, short[] pcm16) {
    }

    public PreparedGreeting {
        sentences = List.copyOf(sentences);
    }

    /** Sentences and audio as stored: a count, then per sentence its UTF-8 text and its samples. */
    public byte[] encode() {
        var bytes = new ByteArrayOutputStream();
        try (var out = new DataOutputStream(bytes)) {
            out.writeInt(sentences.size());
            for (Sentence s : sentences) {
                out.writeUTF(s.text());
                out.writeInt(s.pcm16().length);
                for (short v : s.pcm16()) {
                    out.writeShort(v);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalArgumentException when {@code content} is not an encoded greeting */
    public static PreparedGreeting decode(String voice, int sampleRate, byte[] content) {
        try (var in = new DataInputStream(new java.io.ByteArrayInputStream(content))) {
            int n = in.readInt();
            if (n < 0 || n > 1000) {
                throw new IllegalArgumentException("a stored greeting of " + n + " sentences");
            }
            List<Sentence> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String text = in.readUTF();
                int samples = in.readInt();
                if (samples < 0 || samples * 2L > content.length) {
                    throw new IllegalArgumentException("a stored greeting sentence of " + samples + " samples");
                }
                short[] pcm = new short[samples];
                for (int j = 0; j < samples; j++) {
                    pcm[j] = in.readShort();
                }
                out.add(new Sentence(text, pcm));
            }
            return new PreparedGreeting(voice, sampleRate, out);
        } catch (IOException e) {
            throw new IllegalArgumentException("a stored greeting is truncated", e);
        }
    }

    /** The audio of sentence {@code index} if it is {@code text}, spoken in {@code voice} at {@code rate}. */
    public Optional<short[]> audio(int index, String text, String voiceId, int rate) {
        if (index < 0 || index >= sentences.size() || rate != sampleRate || !voice.equals(voiceId)) {
            return Optional.empty();
        }
        Sentence s = sentences.get(index);
        return s.text().equals(text) ? Optional.of(s.pcm16()) : Optional.empty();
    }

    /** Milliseconds of audio in all. */
    public long durationMs() {
        return sentences.stream().mapToLong(s -> s.pcm16().length).sum() * 1000 / sampleRate;
    }
}
