package io.switchboard.conversation.tts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Flite (Debian's libflite1: CMU's small synthesiser and its US English voices) bound in process through JNA,
 * the default engine: no process per sentence, no network; the slt, rms and awb voices about 20 times faster than
 * real time on one loaded core here, the diphone voices kal and kal16 hundreds of times (docs/BENCHMARKS.md). JNA rather than Java's FFM API because the project compiles for Java 21, where FFM is
 * still a preview (final in 22), and JNA already binds PocketSphinx; a flite CLI process per sentence would add
 * a fork and a voice load to every sentence instead.
 *
 * <p>A sentence is synthesised by one native call ({@code flite_text_to_wave}) on the synthesiser's thread,
 * and streamed while it runs through flite's audio streaming callback ({@code streaming_info} on each voice):
 * the clustergen voices (slt, rms, awb) hand out audio as they make it, so the first chunk does not wait for the
 * whole sentence; whatever a voice did not stream (the diphone voices kal and kal16 do not) is handed out from
 * the finished wave. Cancelling returns {@code CST_AUDIO_STREAM_STOP} from the callback, which stops flite
 * mid-sentence. Flite keeps state in its voices that is not documented as safe to share between threads, so
 * synthesis is serialised per process; at this speed one core voices dozens of simultaneous calls.
 */
public final class FliteSynthesizer implements SpeechSynthesizer {

    /** The Debian voice libraries this binding knows, by voice name: library, register function, rate, gender. */
    private record Known(String library, String register, int sampleRate, Voice.Gender gender) {
    }

    private static final Map<String, Known> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put("slt", new Known("libflite_cmu_us_slt.so.1", "register_cmu_us_slt", 16_000, Voice.Gender.FEMALE));
        KNOWN.put("rms", new Known("libflite_cmu_us_rms.so.1", "register_cmu_us_rms", 16_000, Voice.Gender.MALE));
        KNOWN.put("awb", new Known("libflite_cmu_us_awb.so.1", "register_cmu_us_awb", 16_000, Voice.Gender.MALE));
        KNOWN.put("kal16", new Known("libflite_cmu_us_kal16.so.1", "register_cmu_us_kal16", 16_000, Voice.Gender.MALE));
        KNOWN.put("kal", new Known("libflite_cmu_us_kal.so.1", "register_cmu_us_kal", 8000, Voice.Gender.MALE));
    }

    static final List<String> LIBRARY_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib", "/usr/local/lib", "/usr/lib64");
    private static final String LIBFLITE = "libflite.so.1";

    /** The C functions used, from libflite.so.1 (flite 2.2). */
    interface Flite extends Library {
        int flite_init();

        Pointer flite_text_to_wave(String text, Pointer voice);

        void delete_wave(Pointer wave);

        Pointer new_audio_streaming_info();

        Pointer audio_streaming_info_val(Pointer info);

        void feat_set(Pointer features, Pointer name, Pointer value);
    }

    /** flite's {@code cst_audio_stream_callback}: samples [start, start + size) of the wave being made are new. */
    public interface StreamCallback extends Callback {
        int invoke(Pointer wave, int start, int size, int last, Pointer info);
    }

    private static final int STREAM_CONTINUE = 0;
    private static final int STREAM_STOP = -1;
    /** flite keeps the feature name's pointer (names are static strings in C), so it lives as long as the process. */
    private static final Memory STREAMING_INFO = new Memory(16);
    /** The sentence being synthesised (under LOCK), which the callback feeds. */
    private static FliteStream current;
    /** Held so the callback's native stub is never collected while flite holds its address. */
    private static final StreamCallback CALLBACK = (wave, start, size, last, info) -> {
        FliteStream s = current;
        if (s == null) {
            return STREAM_CONTINUE; // the load-time check
        }
        if (s.isCancelled()) {
            return STREAM_STOP;
        }
        if (size > 0 && start == s.streamed) {
            s.chunks.add(samples(wave).getShortArray(2L * start, size));
            s.streamed = start + size;
        }
        return STREAM_CONTINUE;
    };
    private static final Set<Long> STREAMING_VOICES = new HashSet<>();

    static {
        STREAMING_INFO.setString(0, "streaming_info");
    }

    private static final Object LOCK = new Object();
    /**
     * The voice libraries, held for the life of the process: JNA closes (dlclose) a library whose NativeLibrary
     * is garbage collected, and the voice flite registered lives in that library's memory, so the next sentence
     * read freed memory (a crash in flite_text_to_wave after the first full GC).
     */
    private static final List<NativeLibrary> LOADED = new ArrayList<>();

    private final Flite flite;
    private final Map<String, Pointer> handles;
    private final List<Voice> voices;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "flite-synthesis");
        t.setDaemon(true);
        return t;
    });

    private FliteSynthesizer(Flite flite, Map<String, Pointer> handles, List<Voice> voices) {
        this.flite = flite;
        this.handles = handles;
        this.voices = voices;
    }

    /**
     * Points the voice's {@code streaming_info} feature at our callback, once per voice per process. A cst_voice
     * starts {@code {const char *name; cst_features *features; ...}}; cst_audio_streaming_info (flite 2.x) is
     * {@code {int min_buffsize; cst_audio_stream_callback asc; const cst_utterance *utt; const cst_item *item;
     * void *userdata;}}.
     */
    private static void stream(Flite flite, Pointer voice) {
        if (!STREAMING_VOICES.add(Pointer.nativeValue(voice))) {
            return;
        }
        Pointer info = flite.new_audio_streaming_info();
        info.setPointer(Native.POINTER_SIZE, CallbackReference.getFunctionPointer(CALLBACK));
        flite.feat_set(voice.getPointer(Native.POINTER_SIZE), STREAMING_INFO, flite.audio_streaming_info_val(info));
    }

    private static Pointer samples(Pointer wave) {
        return wave.getPointer(2L * Native.POINTER_SIZE + 8);
    }

    /** Whether libflite is installed where {@link #load(String)} would look. */
    public static boolean installed(String libraryDir) {
        return dirs(libraryDir).stream().anyMatch(d -> Files.isRegularFile(Path.of(d, LIBFLITE)));
    }

    /**
     * Loads libflite and every known voice library installed beside it, and synthesises a word with each voice
     * to prove the binding reads flite's waves right.
     *
     * @param libraryDir where libflite.so.1 lives, or empty to search the usual places
     */
    public static FliteSynthesizer load(String libraryDir) {
        Path dir = dirs(libraryDir).stream().map(Path::of).filter(d -> Files.isRegularFile(d.resolve(LIBFLITE)))
                .findFirst().orElseThrow(() -> new IllegalStateException(LIBFLITE + " not found in " + dirs(libraryDir)
                        + ". Install Debian's libflite1 (./switchboard setup does), set tts.flite.library-dir, or "
                        + "leave flite out of tts.engines"));
        synchronized (LOCK) {
            Flite flite = Native.load(dir.resolve(LIBFLITE).toString(), Flite.class);
            flite.flite_init();
            Map<String, Pointer> handles = new LinkedHashMap<>();
            List<Voice> voices = new ArrayList<>();
            for (Map.Entry<String, Known> e : KNOWN.entrySet()) {
                Path lib = dir.resolve(e.getValue().library());
                if (!Files.isRegularFile(lib)) {
                    continue;
                }
                NativeLibrary library = NativeLibrary.getInstance(lib.toString());
                LOADED.add(library);
                Pointer voice = library.getFunction(e.getValue().register()).invokePointer(new Object[] {null});
                if (voice == null) {
                    throw new IllegalStateException("flite could not register its voice " + e.getKey() + " from " + lib);
                }
                handles.put(e.getKey(), voice);
                voices.add(new Voice("flite", e.getKey(), "en-US", e.getValue().gender(), e.getValue().sampleRate()));
            }
            if (voices.isEmpty()) {
                throw new IllegalStateException("libflite is in " + dir + " but none of its voices ("
                        + KNOWN.values().stream().map(Known::library).toList() + "); install Debian's libflite1");
            }
            FliteSynthesizer s = new FliteSynthesizer(flite, handles, List.copyOf(voices));
            for (Voice v : voices) {
                stream(flite, handles.get(v.name()));
                short[] hello = s.wave(v, "Hello.", null);
                if (hello.length < v.sampleRate() / 10) {
                    throw new IllegalStateException("flite's voice " + v.name() + " gave " + hello.length
                            + " samples for 'Hello.'; this libflite is not the one the binding was written for");
                }
            }
            return s;
        }
    }

    private static List<String> dirs(String libraryDir) {
        return libraryDir == null || libraryDir.isBlank() ? LIBRARY_DIRS : List.of(libraryDir);
    }

    @Override
    public String engine() {
        return "flite";
    }

    @Override
    public List<Voice> voices() {
        return voices;
    }

    @Override
    public SpeechStream synthesize(String voice, String sentence, int sampleRate) {
        SpeechSynthesizer.checkRequest(this, voice, sentence, sampleRate);
        Voice v = voices.stream().filter(x -> x.name().equals(voice)).findFirst().orElseThrow();
        FliteStream stream = new FliteStream(v.sampleRate(), sampleRate);
        if (sentence.isBlank()) {
            stream.chunks.add(FliteStream.END);
            return stream;
        }
        thread.execute(() -> {
            try {
                if (!stream.isCancelled()) {
                    short[] whole = wave(v, sentence, stream);
                    if (!stream.isCancelled() && stream.streamed < whole.length) {
                        stream.chunks.add(java.util.Arrays.copyOfRange(whole, stream.streamed, whole.length));
                    }
                }
            } catch (RuntimeException e) {
                stream.failure = e;
            } finally {
                stream.chunks.add(FliteStream.END);
            }
        });
        return stream;
    }

    /** A sentence in one piece, without the streaming callback (tests compare the two). */
    short[] whole(String voice, String sentence) {
        return wave(voices.stream().filter(x -> x.name().equals(voice)).findFirst().orElseThrow(), sentence, null);
    }

    /** One sentence's audio: chunks as flite's callback or the finished wave gives them, then {@link #END}. */
    private static final class FliteStream extends PcmStream {
        static final short[] END = new short[0];
        final BlockingQueue<short[]> chunks = new LinkedBlockingQueue<>();
        /** Samples handed out by the callback so far; written on the synthesis thread only. */
        int streamed;
        volatile RuntimeException failure;
        private short[] chunk;
        private int pos;

        FliteStream(int nativeRate, int sampleRate) {
            super(nativeRate, sampleRate);
        }

        @Override
        protected int read(short[] into) throws IOException {
            while (chunk == null || pos == chunk.length) {
                try {
                    chunk = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for flite", e);
                }
                pos = 0;
                if (chunk == END) {
                    chunks.add(END); // later reads see the end too
                    if (failure != null) {
                        throw failure;
                    }
                    return -1;
                }
            }
            int n = Math.min(into.length, chunk.length - pos);
            System.arraycopy(chunk, pos, into, 0, n);
            pos += n;
            return n;
        }

        @Override
        protected void stop() {
            chunks.add(END); // wakes a reader; the callback stops flite at its next chunk
        }
    }

    /**
     * One sentence, whole, at the voice's rate. flite's {@code cst_wave} (cst_wave.h) is {@code {const char *type;
     * int sample_rate; int num_samples; int num_channels; short *samples;}}; its rate and channel count are checked
     * against what the voice should give, so a differently laid out build fails loudly instead of playing noise.
     */
    private short[] wave(Voice v, String text, FliteStream into) {
        synchronized (LOCK) {
            current = into;
            Pointer w;
            try {
                w = flite.flite_text_to_wave(text, handles.get(v.name()));
            } finally {
                current = null;
            }
            if (w == null && into != null && into.isCancelled()) {
                return new short[0];
            }
            if (w == null) {
                throw new SpeechSynthesisException(SpeechSynthesisException.Kind.ENGINE,
                        "flite gave no audio for a sentence of " + text.length() + " characters");
            }
            try {
                int rate = w.getInt(Native.POINTER_SIZE);
                int samples = w.getInt(Native.POINTER_SIZE + 4);
                int channels = w.getInt(Native.POINTER_SIZE + 8);
                if (rate != v.sampleRate() || channels != 1 || samples < 0) {
                    throw new SpeechSynthesisException(SpeechSynthesisException.Kind.ENGINE, "flite's wave reads as "
                            + rate + " Hz, " + channels + " channels, " + samples + " samples; expected mono at "
                            + v.sampleRate() + " Hz (an unexpected cst_wave layout)");
                }
                return samples == 0 ? new short[0] : samples(w).getShortArray(0, samples);
            } finally {
                flite.delete_wave(w);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdown();
    }
}
