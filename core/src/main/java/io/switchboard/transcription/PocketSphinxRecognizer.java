package io.switchboard.transcription;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import io.switchboard.common.SwitchboardException;

/**
 * PocketSphinx (Debian's libpocketsphinx3 and its US English model) bound through JNA. The default
 * recogniser: it needs no model download, so the embedded dev run transcribes real speech out of the box.
 *
 * <p>Decoders are pooled: each holds the acoustic and language model (tens of MB) and serves one stream at
 * a time; at most {@code poolSize} exist. Utterances are cut by PocketSphinx's voice activity detector,
 * checked every 20 ms of audio whatever size of chunks the caller feeds, so results do not depend on how
 * the audio was framed.
 *
 * <p>Telephone audio is decoded by separately pooled narrowband decoders. The model was trained on 16 kHz
 * speech; 8 kHz audio resampled to 16 kHz has nothing above 4 kHz, so its cepstral mean is far from the
 * model's default initial estimate ({@code -cmninit} in feat.params), and PocketSphinx's live cepstral mean
 * normalisation needs several seconds to adapt: a fresh decoder's first utterance of phone audio came out
 * as noise ("hm odd hm" for a ten-word LibriVox sentence). Narrowband decoders therefore start from
 * {@link #NARROWBAND_CMNINIT}.
 *
 * <p>That normalisation also adapts across streams: a pooled decoder used to start each call from where
 * the last call it decoded left its cepstral mean, so the same recording came out differently depending on
 * which decoder got it and what that decoder had heard (word error rate 0.45 to 0.49 over the same twenty
 * phone sentences in three passes, and 0.59 on fresh decoders). Every session therefore starts from its
 * band's initial estimate: a recording's transcript depends on the recording alone.
 */
public final class PocketSphinxRecognizer implements SpeechRecognizer {

    private static final Logger LOG = Logger.getLogger(PocketSphinxRecognizer.class.getName());

    public static final int SAMPLE_RATE = 16_000;
    private static final int STEP = SAMPLE_RATE / 50; // 20 ms
    /**
     * A partial at most every 200 ms, but an utterance's first words are looked for at every step until there are
     * some: a caller talking over the agent interrupts it only once a word is heard (backchannels do not), and
     * waiting for the next 200 ms step cost up to 180 ms of a barge-in's reaction (TurnDetectorAudioTest).
     */
    private static final int PARTIAL_EVERY_STEPS = 10;
    private static final double SECONDS_PER_FRAME = 0.01;
    /**
     * Where the decoder's own live normalisation converged on held-out phone audio (pocketsphinx-testdata's
     * goforward, numbers and something recordings and ten flite and espeak-ng sentences, all through 8 kHz
     * μ-law; none of them in the tests or PhoneTranscriptBenchmark): WER 0.518 there against 0.614 for the
     * earlier estimate taken from espeak-ng speech alone (docs/BENCHMARKS.md).
     */
    static final String NARROWBAND_CMNINIT = "44.05,28.07,-42.21,43.85,-11.48,-7.16,15.33,-29.94,13.49,-7.08,-8.43,10.99,-13.77";
    static final List<String> LIBRARY_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib", "/usr/local/lib", "/usr/lib64");

    /** The C functions used, from libpocketsphinx.so.3 (0.8 / 5prealpha API). */
    interface Ps extends Library {
        Pointer ps_args();

        Pointer ps_init(Pointer config);

        int ps_free(Pointer ps);

        int ps_start_stream(Pointer ps);

        int ps_start_utt(Pointer ps);

        int ps_process_raw(Pointer ps, short[] data, long nSamples, int noSearch, int fullUtt);

        int ps_end_utt(Pointer ps);

        String ps_get_hyp(Pointer ps, IntByReference score);

        byte ps_get_in_speech(Pointer ps);

        Pointer ps_seg_iter(Pointer ps);

        Pointer ps_seg_next(Pointer seg);

        String ps_seg_word(Pointer seg);

        void ps_seg_frames(Pointer seg, IntByReference startFrame, IntByReference endFrame);

        int ps_seg_prob(Pointer seg, IntByReference ascr, IntByReference lscr, IntByReference lback);

        void ps_seg_free(Pointer seg);

        Pointer ps_get_logmath(Pointer ps);

        Pointer ps_get_feat(Pointer ps);

        int ps_set_jsgf_string(Pointer ps, String name, String jsgf);

        int ps_set_search(Pointer ps, String name);

        String ps_get_search(Pointer ps);

        /** The word's phones, allocated by the library (the caller frees them), or null when not in the dictionary. */
        Pointer ps_lookup_word(Pointer ps, String word);

        int ps_get_n_frames(Pointer ps);
    }

    /** From libsphinxbase.so.3. */
    interface SphinxBase extends Library {
        Pointer cmd_ln_init(Pointer inout, Pointer defn, int strict, Object... args);

        int cmd_ln_free_r(Pointer config);

        double logmath_exp(Pointer logmath, int value);
    }

    /**
     * The head of sphinxbase's {@code feat_t} (feat.h, 5prealpha), up to the live cepstral-mean state it owns;
     * sphinxbase has no accessor for that pointer. Only read, never written or allocated by us.
     */
    @Structure.FieldOrder({"refcount", "name", "cepsize", "n_stream", "stream_len", "window_size", "n_sv", "sv_len",
            "subvecs", "sv_buf", "sv_dim", "cmn", "varnorm", "agc", "compute_feat", "cmn_struct"})
    public static final class FeatHead extends Structure {
        public int refcount;
        public Pointer name;
        public int cepsize;
        public int n_stream;
        public Pointer stream_len;
        public int window_size;
        public int n_sv;
        public Pointer sv_len;
        public Pointer subvecs;
        public Pointer sv_buf;
        public int sv_dim;
        public int cmn;
        public int varnorm;
        public int agc;
        public Pointer compute_feat;
        public Pointer cmn_struct;

        public FeatHead(Pointer p) {
            super(p);
            read();
        }
    }

    /** sphinxbase's {@code cmn_t} (cmn.h): the running mean, its sums and the vector length. */
    @Structure.FieldOrder({"cmn_mean", "cmn_var", "sum", "nframe", "veclen"})
    public static final class CmnHead extends Structure {
        public Pointer cmn_mean;
        public Pointer cmn_var;
        public Pointer sum;
        public int nframe;
        public int veclen;

        public CmnHead(Pointer p) {
            super(p);
            read();
        }
    }

    /** A copy of a decoder's live cepstral-mean state, to decode an utterance again from where it started. */
    record Cmn(float[] mean, float[] sum, int nframe) {
        static Cmn read(Pointer cmn) {
            CmnHead h = new CmnHead(cmn);
            return new Cmn(h.cmn_mean.getFloatArray(0, h.veclen), h.sum.getFloatArray(0, h.veclen), h.nframe);
        }

        void write(Pointer cmn) {
            CmnHead h = new CmnHead(cmn);
            h.cmn_mean.write(0, mean, 0, h.veclen);
            h.sum.write(0, sum, 0, h.veclen);
            h.nframe = nframe;
            h.writeField("nframe");
        }
    }

    /**
     * How many frames (10 ms each) the band's initial cepstral mean weighs against what a stream hears: 3 s.
     * Measured (PocketSphinxRecognizerTest): 0 lost the answer after a short first one; 100 and 300 both heard it,
     * and 300 also lowered the phone-line word error rate on LibriVox from 0.51 to 0.47.
     */
    static final int PRIOR_FRAMES = 300;

    private final Ps ps;
    private final SphinxBase sb;
    private final Path modelDir;
    private final int poolSize;
    private final Duration maxWait;
    /** Decoders by band: wideband (audio captured at more than 8 kHz) and narrowband (telephone audio). */
    enum Band {
        WIDE, NARROW;

        static Band of(int sourceRate) {
            return sourceRate <= 8000 ? NARROW : WIDE;
        }
    }

    private final Map<Band, BlockingQueue<Pointer>> idle = new EnumMap<>(Band.class);
    /** Each band's initial cepstral mean, as its first decoder read it from the model's parameters. */
    private final Map<Band, float[]> initialMean = new ConcurrentHashMap<>();
    private final Path narrowbandParams;
    private final AtomicInteger created = new AtomicInteger();
    private volatile boolean closed;

    private PocketSphinxRecognizer(Ps ps, SphinxBase sb, Path modelDir, int poolSize, Duration maxWait) {
        this.ps = ps;
        this.sb = sb;
        this.modelDir = modelDir;
        this.poolSize = poolSize;
        this.maxWait = maxWait;
        for (Band b : Band.values()) {
            idle.put(b, new LinkedBlockingQueue<>());
        }
        this.narrowbandParams = narrowbandParams(modelDir);
    }

    /**
     * Loads the native library and checks the model, then builds one decoder to prove both work. The
     * model is checked before native code sees it: PocketSphinx calls exit() on a missing or broken
     * model, which would take the whole JVM down.
     *
     * @param libraryDir where libpocketsphinx.so.3 lives, or empty to search the usual places
     */
    public static PocketSphinxRecognizer load(String libraryDir, Path modelDir, int poolSize, Duration maxWait) {
        checkModel(modelDir);
        Path lib = findLibrary(libraryDir, "libpocketsphinx.so.3");
        Path base = findLibrary(libraryDir.isEmpty() ? lib.getParent().toString() : libraryDir, "libsphinxbase.so.3");
        SphinxBase sb = Native.load(base.toString(), SphinxBase.class);
        Ps ps = Native.load(lib.toString(), Ps.class);
        PocketSphinxRecognizer r = new PocketSphinxRecognizer(ps, sb, modelDir, Math.max(1, poolSize), maxWait);
        r.warm();
        return r;
    }

    /**
     * Loads a decoder per band (as the pool allows: telephone first) and runs a second of a synthetic voice
     * through each, so the first call neither waits for a model to load nor meets cold code. It leaves no
     * trace on later transcripts: every session starts from the band's initial cepstral mean.
     */
    private void warm() {
        short[] buzz = new short[SAMPLE_RATE];
        for (int i = 0; i < buzz.length; i++) {
            double t = (double) i / SAMPLE_RATE;
            double voice = 0;
            for (int h = 1; h <= 20; h++) {
                voice += Math.sin(2 * Math.PI * 120 * h * t) / h;
            }
            buzz[i] = (short) (3000 * voice * Math.sin(Math.PI * t));
        }
        List<Band> bands = List.of(Band.NARROW, Band.WIDE).subList(0, Math.min(poolSize, 2));
        for (Band band : bands) {
            idle.get(band).add(newDecoder(band));
        }
        for (Band band : bands) {
            try (Session s = open("en-US", band == Band.NARROW ? 8000 : SAMPLE_RATE, Duration.ZERO)) {
                s.accept(buzz, 0, buzz.length);
                s.finish();
            }
        }
    }

    static void checkModel(Path dir) {
        List<String> missing = new ArrayList<>();
        for (String f : List.of("en-us/mdef", "en-us/means", "en-us/variances", "en-us/transition_matrices",
                "en-us/feat.params", "en-us.lm.bin", "cmudict-en-us.dict")) {
            Path p = dir.resolve(f);
            try {
                if (!Files.isRegularFile(p) || Files.size(p) == 0) {
                    missing.add(f);
                }
            } catch (java.io.IOException e) {
                missing.add(f);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("no usable PocketSphinx model in " + dir + " (missing or empty: " + missing
                    + "). Install Debian's pocketsphinx-en-us (./switchboard setup does) or point "
                    + "transcription.pocketsphinx.model-dir at a model directory");
        }
    }

    static Path findLibrary(String dir, String name) {
        List<String> dirs = dir == null || dir.isBlank() ? LIBRARY_DIRS : List.of(dir);
        for (String d : dirs) {
            Path p = Path.of(d, name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException(name + " not found in " + dirs + ". Install Debian's libpocketsphinx3 "
                + "(./switchboard setup does) or set transcription.pocketsphinx.library-dir");
    }

    /**
     * The model's feat.params with the narrowband initial cepstral mean. PocketSphinx reads feat.params
     * after the command line and lets it win, so {@code -cmninit} can only be changed through a copy passed
     * as {@code -featparams}.
     */
    private static Path narrowbandParams(Path modelDir) {
        try {
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(modelDir.resolve("en-us/feat.params"))) {
                if (!line.startsWith("-cmninit")) {
                    lines.add(line);
                }
            }
            lines.add("-cmninit " + NARROWBAND_CMNINIT);
            Path p = Files.createTempFile("switchboard-pocketsphinx-narrowband", ".params");
            p.toFile().deleteOnExit();
            Files.write(p, lines);
            return p;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot prepare the narrowband feature parameters", e);
        }
    }

    private Pointer newDecoder(Band band) {
        List<Object> args = new ArrayList<>(List.of(
                "-hmm", modelDir.resolve("en-us").toString(),
                "-lm", modelDir.resolve("en-us.lm.bin").toString(),
                "-dict", modelDir.resolve("cmudict-en-us.dict").toString(),
                "-samprate", Integer.toString(SAMPLE_RATE),
                "-logfn", "/dev/null"));
        if (band == Band.NARROW) {
            args.add("-featparams");
            args.add(narrowbandParams.toString());
        }
        args.add(null);
        Pointer config = sb.cmd_ln_init(null, ps.ps_args(), 1, args.toArray());
        if (config == null) {
            throw new IllegalStateException("PocketSphinx refused its configuration for model " + modelDir);
        }
        Pointer decoder = ps.ps_init(config);
        sb.cmd_ln_free_r(config); // the decoder holds its own reference
        if (decoder == null) {
            throw new IllegalStateException("PocketSphinx could not load the model in " + modelDir);
        }
        created.incrementAndGet();
        initialMean.computeIfAbsent(band, b -> {
            CmnHead cmn = new CmnHead(cmn(decoder));
            return cmn.cmn_mean.getFloatArray(0, cmn.veclen);
        });
        return decoder;
    }

    /**
     * Puts the decoder's cepstral-mean state back where a newly loaded decoder of the band has it (the band's
     * initial estimate), so that what the decoder heard before (another call, another band's audio) does not change
     * what it hears now. The estimate counts as {@link #PRIOR_FRAMES} frames already heard: sphinxbase replaces the
     * mean at each utterance's end by the average of everything it counted, so with nothing counted the first
     * utterance alone became the mean, and a short one ("sure", half a second of speech inside the detector's
     * silence before and after it) moved it so far that the next answer came out wrong or not at all ("two people"
     * as "the", "purple bananas" as nothing). With the estimate weighted, the stream still adapts to its speaker
     * and line, over seconds of speech instead of one word.
     */
    private void resetMean(Pointer decoder, Band band) {
        float[] mean = initialMean.get(band);
        CmnHead cmn = new CmnHead(cmn(decoder));
        cmn.cmn_mean.write(0, mean, 0, cmn.veclen);
        float[] sum = new float[cmn.veclen];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = mean[i] * PRIOR_FRAMES;
        }
        cmn.sum.write(0, sum, 0, cmn.veclen);
        cmn.nframe = PRIOR_FRAMES;
        cmn.writeField("nframe");
    }

    /** The decoder's live cepstral-mean state, owned by its feature computation. */
    private Pointer cmn(Pointer decoder) {
        Pointer cmn = new FeatHead(ps.ps_get_feat(decoder)).cmn_struct;
        if (cmn == null) {
            throw new IllegalStateException("this PocketSphinx build keeps no cepstral-mean state where feat.h says");
        }
        return cmn;
    }

    @Override
    public String engine() {
        return "pocketsphinx";
    }

    @Override
    public int sampleRate() {
        return SAMPLE_RATE;
    }

    /** Decoders that exist now (idle or in use). */
    public int decoders() {
        return created.get();
    }

    @Override
    public Duration maxWait() {
        return maxWait;
    }

    @Override
    public Session open(String language, int sourceRate, Duration wait) {
        if (language != null && !language.isBlank() && !language.toLowerCase(Locale.ROOT).startsWith("en")) {
            throw new SwitchboardException.FailedPrecondition("LANGUAGE_UNSUPPORTED", "the PocketSphinx model is US "
                    + "English; language '" + language + "' needs a Vosk model for it (transcription.engine: vosk)");
        }
        if (closed) {
            throw new IllegalStateException("the recogniser is closed");
        }
        Band band = Band.of(sourceRate);
        Pointer decoder = acquire(band, wait);
        ps.ps_start_stream(decoder); // timestamps restart at zero for every stream
        resetMean(decoder, band);
        return new PsSession(decoder, band);
    }

    /**
     * An idle decoder of the band, a new one while the pool has room, or an idle one of the other band
     * replaced; otherwise waits for one to come back, up to the pool's wait limit.
     */
    private Pointer acquire(Band band, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Pointer d = idle.get(band).poll();
            if (d != null) {
                return d;
            }
            synchronized (this) {
                if (created.get() < poolSize) {
                    return newDecoder(band);
                }
                Pointer other = idle.get(band == Band.WIDE ? Band.NARROW : Band.WIDE).poll();
                if (other != null) {
                    ps.ps_free(other);
                    created.decrementAndGet();
                    return newDecoder(band);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SwitchboardException.ResourceExhausted("transcription:decoders", "all " + poolSize
                        + " speech decoders stayed busy for " + wait + "; raise transcription.pool-size or add workers",
                        Duration.ofSeconds(5));
            }
            try {
                d = idle.get(band).poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a speech decoder", e);
            }
            if (d != null) {
                return d;
            }
        }
    }

    private final class PsSession implements Session {
        private Pointer decoder;
        private final Band band;
        private final short[] step = new short[STEP];
        private int stepFill;
        private long processed; // samples fed to the decoder
        private long uttStart; // sample offset of the current utterance's start
        private boolean inUtterance;
        private boolean heardSpeech;
        private int stepsSincePartial;
        private String lastPartial = "";
        /** Frames the decoder's clock ran ahead of the stream's audio by decoding utterances a second time. */
        private int framesShifted;
        private volatile Expectation expected = Expectation.NONE;
        private final Hints hints;

        PsSession(Pointer decoder, Band band) {
            this.decoder = decoder;
            this.band = band;
            this.hints = new Hints(decoder);
        }

        @Override
        public void expect(Expectation expectation) {
            expected = expectation;
        }

        private void startUtt() {
            hints.startUtt();
            ps.ps_start_utt(decoder);
            inUtterance = true;
            heardSpeech = false;
            uttStart = processed;
            lastPartial = "";
            stepsSincePartial = 0;
        }

        @Override
        public List<TranscriptEvent> accept(short[] samples, int offset, int length) {
            if (decoder == null) {
                throw new IllegalStateException("session closed");
            }
            List<TranscriptEvent> out = new ArrayList<>();
            int i = offset;
            int end = offset + length;
            while (i < end) {
                int n = Math.min(STEP - stepFill, end - i);
                System.arraycopy(samples, i, step, stepFill, n);
                stepFill += n;
                i += n;
                if (stepFill == STEP) {
                    feed(step, STEP, out);
                    stepFill = 0;
                }
            }
            return out;
        }

        private void feed(short[] buf, int n, List<TranscriptEvent> out) {
            if (!inUtterance) {
                startUtt();
            }
            ps.ps_process_raw(decoder, buf, n, 0, 0);
            hints.heard(buf, n);
            processed += n;
            boolean speech = ps.ps_get_in_speech(decoder) != 0;
            if (speech) {
                if (!heardSpeech) {
                    hints.speechStarted(expected);
                }
                heardSpeech = true;
                if (++stepsSincePartial >= PARTIAL_EVERY_STEPS || lastPartial.isEmpty()) {
                    stepsSincePartial = 0;
                    String hyp = hyp();
                    if (!hyp.isEmpty() && !hyp.equals(lastPartial)) {
                        lastPartial = hyp;
                        out.add(new TranscriptEvent(false, hyp, offset(uttStart), offset(processed), List.of()));
                    }
                }
            } else if (heardSpeech) {
                endUtterance(out);
            }
        }

        private void endUtterance(List<TranscriptEvent> out) {
            long started = System.nanoTime();
            ps.ps_end_utt(decoder);
            inUtterance = false;
            String text = hyp();
            if (!text.isEmpty()) {
                List<Word> words = words();
                Heard hinted = hints.endUtt(text, words);
                text = hinted.text();
                words = hinted.words();
                Duration start = words.isEmpty() ? offset(uttStart) : words.getFirst().start();
                Duration stop = words.isEmpty() ? offset(processed) : words.getLast().end();
                out.add(new TranscriptEvent(true, text, start, stop, words));
            }
            LOG.fine(() -> "utterance ended at " + offset(processed).toMillis() + " ms, final ready in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
        }

        private String hyp() {
            String h = ps.ps_get_hyp(decoder, new IntByReference());
            return h == null ? "" : h.strip();
        }

        private List<Word> words() {
            List<Word> words = new ArrayList<>();
            Pointer logmath = ps.ps_get_logmath(decoder);
            IntByReference sf = new IntByReference();
            IntByReference ef = new IntByReference();
            for (Pointer seg = ps.ps_seg_iter(decoder); seg != null; seg = ps.ps_seg_next(seg)) {
                String w = ps.ps_seg_word(seg);
                if (w == null || w.startsWith("<") || w.startsWith("[") || w.startsWith("++")) {
                    continue; // <s>, </s>, <sil>, [NOISE], ++filler++
                }
                int paren = w.indexOf('(');
                String word = paren > 0 ? w.substring(0, paren) : w;
                ps.ps_seg_frames(seg, sf, ef);
                int prob = ps.ps_seg_prob(seg, new IntByReference(), new IntByReference(), new IntByReference());
                double confidence = Math.max(0, Math.min(1, sb.logmath_exp(logmath, prob)));
                words.add(new Word(word, frameOffset(sf.getValue() - framesShifted),
                        frameOffset(ef.getValue() + 1 - framesShifted), confidence));
            }
            return words;
        }

        /** Frames count from the start of the stream (ps_start_stream), not of the utterance. */
        private Duration frameOffset(int frame) {
            return Duration.ofNanos(Math.round(frame * SECONDS_PER_FRAME * 1e9));
        }

        private Duration offset(long samples) {
            return Duration.ofNanos(samples * 1_000_000_000L / SAMPLE_RATE);
        }

        /** The first frame of the utterance just decoded, on the decoder's clock. */
        private int firstFrame() {
            Pointer seg = ps.ps_seg_iter(decoder);
            if (seg == null) {
                return -1;
            }
            IntByReference sf = new IntByReference();
            ps.ps_seg_frames(seg, sf, new IntByReference());
            ps.ps_seg_free(seg);
            return sf.getValue();
        }

        /**
         * An expected answer heard twice. The utterance's audio, kept while it lasted, is decoded a second time in the
         * same decoder, from the same cepstral mean, with a grammar that offers two readings: the expected phrases
         * (any one of them, or a run of up to {@link Expectation#upTo()}), or exactly the words the general model
         * heard. The grammar search scores both on the same audio with the same acoustic model, so the choice is a
         * fair one: a short answer the general model wrote as something else ("yes" as "the others", "twelve" as "well
         * done") comes out as the expected phrase, while words that no expected phrase fits ("what did you say?",
         * "seven people" for a number) keep the general model's text. A grammar gives every path the same language
         * score, so the choice is the acoustic fit alone: nothing is forced. (An extra decoding pass over the
         * utterance, at its end: see docs/BENCHMARKS.md for what it costs.)
         *
         * <p>The pass is on the critical path of the caller's turn (its final text is waited for), so it is kept short.
         * A decoder's utterance starts as soon as the last one ended and lasts through everything the agent says
         * meanwhile, so only the audio from {@link #PRE_ROLL} before the speech began is kept and decoded again (no
         * longer the seconds of silence before it); and no pass is made when the general model already heard an
         * expected answer, which the grammar could only confirm (or trade for another expected reading the audio fits
         * marginally better: "three" as "two three"). The expectation is the one current when the speech began: the
         * utterance started before the agent asked its question, the answer after.
         */
        private final class Hints {
            private static final String SEARCH = "switchboard_expected";
            /**
             * Audio kept from before the decoder's voice activity detector called it speech: its start-of-speech
             * window and the pre-speech frames it passes on (10 and 20 frames of 10 ms by default), with room to spare.
             */
            private static final int PRE_ROLL = SAMPLE_RATE / 2;
            private final String general;
            private Expectation checked = Expectation.NONE;
            private List<String> known = List.of();
            private Expectation utt = Expectation.NONE;
            private short[] audio = new short[SAMPLE_RATE * 3];
            private int length;
            private Cmn before;

            Hints(Pointer decoder) {
                String current = ps.ps_get_search(decoder);
                this.general = current == null ? "_default" : current;
            }

            /**
             * The cepstral mean as the utterance starts: the silence before its speech leaves it as it is (the voice
             * activity detector passes no silent frames on), so it is also the mean the speech starts from.
             */
            void startUtt() {
                utt = Expectation.NONE;
                length = 0;
                before = Cmn.read(cmn(decoder));
            }

            /** The speech began: its answer is expected to be {@code e}. */
            void speechStarted(Expectation e) {
                utt = e;
            }

            void heard(short[] buf, int n) {
                if (!heardSpeech && length + n > PRE_ROLL) {
                    int drop = Math.min(length, length + n - PRE_ROLL);
                    System.arraycopy(audio, drop, audio, 0, length - drop);
                    length -= drop;
                }
                if (length + n > audio.length) {
                    audio = java.util.Arrays.copyOf(audio, Math.max(audio.length * 2, length + n));
                }
                System.arraycopy(buf, 0, audio, length, n);
                length += n;
            }

            /** The general pass's text and words, or the expected phrases when the second pass prefers them. */
            Heard endUtt(String text, List<Word> words) {
                Heard heard = new Heard(text, words);
                if (utt.isEmpty() || before == null || !text.matches("[a-z0-9' .-]+")) {
                    return heard;
                }
                List<String> phrases = known(utt);
                if (phrases.isEmpty() || utt.answeredBy(text)) {
                    return heard;
                }
                long started = System.nanoTime();
                Pass chosen = pass("<expected> | " + text + ";\n<expected> = <phrase>"
                        + " [<phrase>]".repeat(utt.upTo() - 1) + ";\n<phrase> = " + String.join(" | ", phrases));
                boolean take = chosen != null && !chosen.text().isEmpty() && !chosen.text().equals(text);
                LOG.fine(() -> "heard \"" + text + "\"; with the expected phrases \"" + (chosen == null ? "" : chosen.text())
                        + "\" in " + (System.nanoTime() - started) / 1000 + " µs");
                return take ? new Heard(chosen.text(), chosen.words()) : heard;
            }

            /** The utterance decoded again, from its starting cepstral mean, with {@code answer} as the grammar. */
            private Pass pass(String answer) {
                int generalFirst = firstFrame();
                Cmn after = Cmn.read(cmn(decoder));
                String jsgf = "#JSGF V1.0;\ngrammar expected;\npublic <answer> = " + answer + ";\n";
                if (ps.ps_set_jsgf_string(decoder, SEARCH, jsgf) != 0 || ps.ps_set_search(decoder, SEARCH) != 0) {
                    ps.ps_set_search(decoder, general);
                    LOG.fine(() -> "no grammar could be made of " + jsgf);
                    return null;
                }
                try {
                    before.write(cmn(decoder));
                    ps.ps_start_utt(decoder);
                    short[] step = new short[STEP];
                    for (int i = 0; i < length; i += STEP) {
                        int n = Math.min(STEP, length - i);
                        System.arraycopy(audio, i, step, 0, n);
                        ps.ps_process_raw(decoder, step, n, 0, 0);
                    }
                    ps.ps_end_utt(decoder);
                    String text = hyp();
                    long[] acoustics = acoustics();
                    // the decoder's clock counts every frame it was fed, this pass's too
                    framesShifted += Math.max(0, (int) acoustics[1] - generalFirst);
                    return new Pass(text, text.isEmpty() ? List.of() : words(), acoustics[0],
                            (int) (acoustics[2] - acoustics[1] + 1));
                } finally {
                    ps.ps_set_search(decoder, general);
                    after.write(cmn(decoder));
                }
            }

            /** The expectation's phrases whose every word the dictionary knows (others cannot be in a grammar). */
            private List<String> known(Expectation e) {
                if (e.equals(checked)) {
                    return known;
                }
                List<String> out = new ArrayList<>();
                for (String phrase : e.phrases()) {
                    boolean all = true;
                    for (String w : phrase.split(" ")) {
                        Pointer phones = ps.ps_lookup_word(decoder, w);
                        if (phones == null) {
                            all = false;
                        } else {
                            Native.free(Pointer.nativeValue(phones));
                        }
                    }
                    if (all) {
                        out.add(phrase);
                    }
                }
                checked = e;
                known = List.copyOf(out);
                return known;
            }
        }

        record Heard(String text, List<Word> words) {
        }

        /** One grammar pass: its words, its summed acoustic score and the frames it covered. */
        record Pass(String text, List<Word> words, long acoustic, int frames) {
        }

        /** The segments' acoustic scores summed, and the first and last frame they cover. */
        private long[] acoustics() {
            long ascr = 0;
            int first = -1;
            int last = -1;
            IntByReference sf = new IntByReference();
            IntByReference ef = new IntByReference();
            IntByReference a = new IntByReference();
            for (Pointer seg = ps.ps_seg_iter(decoder); seg != null; seg = ps.ps_seg_next(seg)) {
                ps.ps_seg_prob(seg, a, new IntByReference(), new IntByReference());
                ps.ps_seg_frames(seg, sf, ef);
                ascr += a.getValue();
                if (first < 0) {
                    first = sf.getValue();
                }
                last = ef.getValue();
            }
            return new long[] {ascr, first, last};
        }

        @Override
        public List<TranscriptEvent> finish() {
            if (decoder == null) {
                throw new IllegalStateException("session closed");
            }
            List<TranscriptEvent> out = new ArrayList<>();
            if (stepFill > 0) {
                feed(step, stepFill, out);
                stepFill = 0;
            }
            if (inUtterance) {
                endUtterance(out);
            }
            return out;
        }

        @Override
        public List<TranscriptEvent> endpoint() {
            if (decoder == null) {
                throw new IllegalStateException("session closed");
            }
            List<TranscriptEvent> out = new ArrayList<>();
            if (inUtterance && heardSpeech) {
                endUtterance(out);
            }
            return out;
        }

        @Override
        public void close() {
            Pointer d = decoder;
            if (d == null) {
                return;
            }
            decoder = null;
            if (inUtterance) {
                ps.ps_end_utt(d);
            }
            if (closed) {
                ps.ps_free(d);
            } else {
                idle.get(band).add(d);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (BlockingQueue<Pointer> q : idle.values()) {
            Pointer d;
            while ((d = q.poll()) != null) {
                ps.ps_free(d);
            }
        }
    }
}
