package io.switchboard.transcription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.switchboard.common.SwitchboardException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PocketSphinxRecognizerTest {

    static final Path MODEL = Path.of("/usr/share/pocketsphinx/model/en-us");
    private static PocketSphinxRecognizer recognizer;
    /**
     * Each LibriVox utterance as the shared recogniser hears it in 20 ms chunks, decoded once for the class: the
     * word-error-rate test, the timing test and the parallel-streams test all read the same decodes (every stream
     * starts from its band's initial cepstral mean, so a decode does not depend on what the pool heard before).
     */
    private static final Map<Integer, SpeechAudio.Result> DECODED = new ConcurrentHashMap<>();

    @BeforeAll
    static void load() {
        recognizer = PocketSphinxRecognizer.load("", MODEL, 2, Duration.ofSeconds(60));
    }

    @AfterAll
    static void close() {
        recognizer.close();
    }

    private static SpeechAudio.Result decoded(int utterance) throws Exception {
        short[] samples = SpeechAudio.librivox().get(utterance).samples();
        return DECODED.computeIfAbsent(utterance, i -> SpeechAudio.transcribe(recognizer, samples, 320));
    }

    @Test
    void recordedSpeechIsRecognisedWithALowWordErrorRate() throws Exception {
        int errors = 0;
        int words = 0;
        List<SpeechAudio.Utterance> all = SpeechAudio.librivox();
        for (int i = 0; i < all.size(); i++) {
            SpeechAudio.Utterance u = all.get(i);
            String hyp = decoded(i).finalText();
            errors += WordErrorRate.errors(u.transcript(), hyp);
            words += WordErrorRate.words(u.transcript()).size();
        }
        double wer = (double) errors / words;
        // measured 0.31 on these five LibriVox utterances; a broken decoder or resampler lands near 1.0
        assertTrue(wer < 0.45, "WER " + wer);
    }

    @Test
    void anAnswerAfterAShortFirstOneAndDigitalSilenceIsHeardRight(@TempDir Path dir) throws Exception {
        // a call's second answer, after "sure" and the agent's next question (the caller's channel silent, all
        // zeros): the short first utterance must not drag the stream's cepstral mean away (before the initial mean
        // had a weight of its own, "two people" came out as "the" and "three people" as "repeat")
        short[] sure = SpeechAudio.throughPhoneLine(SpeechAudio.pcm16(SpeechAudio.espeak(dir, "sure", 16_000)));
        for (String answer : List.of("two people", "three people")) {
            short[] second = SpeechAudio.throughPhoneLine(SpeechAudio.pcm16(SpeechAudio.espeak(dir, answer, 16_000)));
            short[] call = new short[16_000 + sure.length + 3 * 16_000 + second.length + 16_000];
            System.arraycopy(sure, 0, call, 16_000, sure.length);
            System.arraycopy(second, 0, call, 16_000 + sure.length + 3 * 16_000, second.length);
            List<String> finals = SpeechAudio.transcribe(recognizer, call, 320, 8000).events().stream()
                    .filter(TranscriptEvent::isFinal).map(TranscriptEvent::text).toList();
            assertEquals(List.of("sure", answer), finals);
        }
    }

    @Test
    void synthesisedSpeechIsRecognisedOnceTheStreamHasAdaptedToTheVoice(@TempDir Path dir) throws Exception {
        String text = "please call me back tomorrow morning about the insurance quote";
        short[] sentence = SpeechAudio.pcm16(SpeechAudio.espeak(dir, text, 16_000));
        short[] twice = new short[2 * sentence.length + 16_000];
        System.arraycopy(sentence, 0, twice, 0, sentence.length);
        System.arraycopy(sentence, 0, twice, sentence.length + 16_000, sentence.length);
        List<TranscriptEvent> finals = SpeechAudio.transcribe(recognizer, twice, 320).events().stream()
                .filter(TranscriptEvent::isFinal).toList();
        // Every stream starts from the model's cepstral mean, which is far from espeak's robotic voice: the
        // first saying comes out as noise. Live normalisation adapts within the stream, so the second is heard
        // (measured WER 0.7 on five such sentences, see BENCHMARKS.md); the bound still fails on noise,
        // silence or a wrong sample rate, which recognise nothing of it.
        String hyp = finals.getLast().text();
        assertTrue(WordErrorRate.of(text, hyp) < 0.85, "heard: " + finals);
        assertTrue(hyp.contains("tomorrow morning"), "heard: " + finals);
    }

    @Test
    void theResultDoesNotDependOnHowTheAudioWasChunked() throws Exception {
        short[] samples = SpeechAudio.librivox().get(1).samples();
        String small = SpeechAudio.transcribe(recognizer, samples, 160).finalText();
        String odd = SpeechAudio.transcribe(recognizer, samples, 1234).finalText();
        String whole = SpeechAudio.transcribe(recognizer, samples, samples.length).finalText();
        assertEquals(small, whole);
        assertEquals(small, odd);
        assertTrue(!small.isEmpty());
    }

    @Test
    void partialsArriveBeforeTheFinalAndWordsAreTimedWithinTheAudio() throws Exception {
        SpeechAudio.Utterance u = SpeechAudio.librivox().getFirst();
        SpeechAudio.Result r = decoded(0);
        int firstPartial = -1;
        int firstFinal = -1;
        for (int i = 0; i < r.events().size(); i++) {
            if (!r.events().get(i).isFinal() && firstPartial < 0) {
                firstPartial = i;
            }
            if (r.events().get(i).isFinal() && firstFinal < 0) {
                firstFinal = i;
            }
        }
        assertTrue(firstPartial >= 0 && firstPartial < firstFinal, r.events().toString());
        Duration audio = Duration.ofMillis(u.samples().length * 1000L / 16_000);
        List<Word> words = r.words();
        assertTrue(words.size() > 10, words.toString());
        Duration last = Duration.ZERO;
        for (Word w : words) {
            assertTrue(!w.start().minus(last).isNegative(), "words in order: " + words);
            assertTrue(w.end().compareTo(w.start()) > 0, w.toString());
            assertTrue(w.end().compareTo(audio.plusMillis(20)) <= 0, w + " within " + audio);
            assertTrue(w.confidence() >= 0 && w.confidence() <= 1, w.toString());
            last = w.start();
        }
    }

    @Test
    void phoneAudioIsRecognisedFromTheFirstUtteranceOfAFreshDecoder() throws Exception {
        // Each utterance gets a new recogniser, so no decoder has adapted to phone audio before. With the
        // wideband cepstral-mean estimate such a decoder heard the first of these as "hm odd hm".
        // the two rates' fresh decoders are independent of each other: both at once, one a core
        CompletableFuture<Double> widebandWer = CompletableFuture.supplyAsync(() -> {
            try {
                return phoneLineWer(16_000);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        double narrowband = phoneLineWer(8000);
        double wideband = widebandWer.get();
        assertTrue(narrowband < 0.55, "phone-line WER " + narrowband);
        assertTrue(narrowband < wideband - 0.15, "narrowband decoders " + narrowband + " vs wideband " + wideband);
    }

    private static double phoneLineWer(int declaredRate) throws Exception {
        int errors = 0;
        int words = 0;
        for (SpeechAudio.Utterance u : SpeechAudio.librivox()) {
            try (PocketSphinxRecognizer fresh = PocketSphinxRecognizer.load("", MODEL, 1, Duration.ofSeconds(10))) {
                String hyp = SpeechAudio.transcribe(fresh, SpeechAudio.throughPhoneLine(u.samples()), 160, declaredRate)
                        .finalText();
                errors += WordErrorRate.errors(u.transcript(), hyp);
                words += WordErrorRate.words(u.transcript()).size();
            }
        }
        double wer = (double) errors / words;
        System.out.printf("phone line, fresh decoders, declared %d Hz: WER %.3f%n", declaredRate, wer);
        return wer;
    }

    @Test
    void aPhoneRecordingGetsTheSameTranscriptWhicheverDecoderAndWhateverItHeardBefore(@TempDir Path dir)
            throws Exception {
        List<SpeechAudio.Utterance> librivox = SpeechAudio.librivox();
        List<short[]> recordings = List.of(
                SpeechAudio.throughPhoneLine(librivox.get(1).samples()),
                SpeechAudio.throughPhoneLine(SpeechAudio.pcm16(SpeechAudio.espeak(dir,
                        "my account number is four seven one nine two eight three", 16_000))));
        List<String> first = new java.util.ArrayList<>();
        try (PocketSphinxRecognizer fresh = PocketSphinxRecognizer.load("", MODEL, 1, Duration.ofSeconds(10))) {
            for (short[] r : recordings) {
                first.add(SpeechAudio.transcribe(fresh, r, 320, 8000).finalText());
            }
        }
        try (PocketSphinxRecognizer used = PocketSphinxRecognizer.load("", MODEL, 2, Duration.ofSeconds(60))) {
            for (int round = 0; round < 2; round++) {
                // another phone call and a wideband one first: each moves a decoder's cepstral mean elsewhere (one
                // of each, the shortest utterance that is not a recording here, is enough to move it)
                short[] other = librivox.get(4).samples();
                SpeechAudio.transcribe(used, SpeechAudio.throughPhoneLine(other), 320, 8000);
                SpeechAudio.transcribe(used, other, 320);
                for (int i = 0; i < recordings.size(); i++) {
                    short[] r = recordings.get(i);
                    // two at once, so both pooled decoders hear it
                    var a = CompletableFuture.supplyAsync(() -> SpeechAudio.transcribe(used, r, 320, 8000).finalText());
                    var b = CompletableFuture.supplyAsync(() -> SpeechAudio.transcribe(used, r, 160, 8000).finalText());
                    assertEquals(first.get(i), a.get(), "round " + round + ", recording " + i);
                    assertEquals(first.get(i), b.get(), "round " + round + ", recording " + i);
                }
            }
            assertEquals(2, used.decoders());
        }
        assertTrue(!first.getFirst().isEmpty() && !first.getLast().isEmpty(), first.toString());
    }

    @Test
    void wordTimesRestartWithEveryStreamAndCountFromItsStart() throws Exception {
        List<SpeechAudio.Utterance> all = SpeechAudio.librivox();
        short[] a = all.get(1).samples();
        short[] b = all.get(4).samples();
        short[] pause = new short[16_000];
        short[] both = new short[a.length + pause.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length + pause.length, b.length);
        try (PocketSphinxRecognizer one = PocketSphinxRecognizer.load("", MODEL, 1, Duration.ofSeconds(10))) {
            for (int round = 0; round < 2; round++) { // the second round reuses the same pooled decoder
                List<TranscriptEvent> finals = SpeechAudio.transcribe(one, both, 320).events().stream()
                        .filter(TranscriptEvent::isFinal).toList();
                assertTrue(finals.size() >= 2, "two utterances: " + finals);
                assertTrue(finals.getFirst().start().toMillis() < 1000, "round " + round + ": " + finals.getFirst());
                long secondStart = finals.getLast().words().getFirst().start().toMillis();
                long bStarts = (a.length + pause.length) * 1000L / 16_000;
                assertTrue(Math.abs(secondStart - bStarts) < 1000, "round " + round + ": second utterance at "
                        + secondStart + " ms, its audio starts at " + bStarts + " ms");
            }
        }
    }

    @Test
    void anEndpointEndsTheUtteranceAtOnceWithTheWordsTheRecogniserWouldHaveEndedItWith() throws Exception {
        short[] samples = SpeechAudio.librivox().getFirst().samples();
        TranscriptEvent first = decoded(0).events().stream().filter(TranscriptEvent::isFinal).findFirst().orElseThrow();
        // 200 ms past the utterance's last word: PocketSphinx's own detector waits 500 ms of silence to end it
        int upTo = (int) Math.min(samples.length, (first.end().toMillis() + 200) * 16);
        List<TranscriptEvent> before = new java.util.ArrayList<>();
        try (SpeechRecognizer.Session s = recognizer.open("en-US")) {
            for (int i = 0; i < upTo; i += 320) {
                before.addAll(s.accept(samples, i, Math.min(320, upTo - i)));
            }
            List<TranscriptEvent> ended = s.endpoint();
            assertTrue(before.stream().noneMatch(TranscriptEvent::isFinal), "no final of its own yet: " + before);
            assertEquals(1, ended.size(), ended.toString());
            assertTrue(ended.getFirst().isFinal());
            assertEquals(first.text(), ended.getFirst().text());
            assertEquals(List.of(), s.endpoint(), "nothing more to end");
            for (int i = upTo; i < samples.length; i += 320) {
                assertTrue(s.accept(samples, i, Math.min(320, samples.length - i)).stream()
                        .allMatch(e -> e.start().compareTo(ended.getFirst().end()) >= 0), "later speech is later");
            }
        }
    }

    @Test
    void silenceYieldsNoWords() {
        SpeechAudio.Result r = SpeechAudio.transcribe(recognizer, new short[16_000 * 3], 320);
        assertEquals("", r.finalText());
    }

    @Test
    void twoStreamsInParallelEachGetTheirOwnWords() throws Exception {
        List<SpeechAudio.Utterance> all = SpeechAudio.librivox();
        String expectA = decoded(1).finalText(); // each alone
        String expectB = decoded(4).finalText();
        var a = CompletableFuture.supplyAsync(() -> SpeechAudio.transcribe(recognizer, all.get(1).samples(), 320).finalText());
        var b = CompletableFuture.supplyAsync(() -> SpeechAudio.transcribe(recognizer, all.get(4).samples(), 320).finalText());
        assertEquals(expectA, a.get());
        assertEquals(expectB, b.get());
        assertTrue(recognizer.decoders() <= 2, "the pool never grows past its size");
    }

    @Test
    void aMissingModelIsAClearErrorAndTheJvmLives(@TempDir Path empty) throws Exception {
        Files.createDirectories(empty.resolve("en-us"));
        var e = assertThrows(IllegalStateException.class,
                () -> PocketSphinxRecognizer.load("", empty, 1, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("pocketsphinx-en-us") && e.getMessage().contains("model-dir"), e.getMessage());
    }

    @Test
    void aLanguageTheModelCannotHearIsRefused() {
        var e = assertThrows(SwitchboardException.FailedPrecondition.class, () -> recognizer.open("de-DE"));
        assertEquals("LANGUAGE_UNSUPPORTED", e.type());
    }

    @Test
    void voskWithoutAModelSaysWhereToPutOne(@TempDir Path dir) {
        var unset = assertThrows(IllegalStateException.class, () -> VoskRecognizer.load("", 1, Duration.ofSeconds(1)));
        assertTrue(unset.getMessage().contains("transcription.vosk.model-path"), unset.getMessage());
        var notAModel = assertThrows(IllegalStateException.class,
                () -> VoskRecognizer.load(dir.toString(), 1, Duration.ofSeconds(1)));
        assertTrue(notAModel.getMessage().contains("alphacephei.com/vosk/models"), notAModel.getMessage());
    }
}
