package io.switchboard.conversation.tts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.sun.jna.Library;
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
 * <p>A sentence is synthesised by one native call ({@code flite_text_to_wave}, tens of milliseconds for a
 * sentence), when its stream is first read, then handed out in chunks; a sentence cancelled before that call
 * costs nothing and one cancelled after it stops at the next chunk. Flite keeps state in its voices that is not
 * documented as safe to share between threads, so synthesis is serialised per process; at this speed one core
 * voices dozens of simultaneous calls.
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

    private FliteSynthesizer(Flite flite, Map<String, Pointer> handles, List<Voice> voices) {
        this.flite = flite;
        this.handles = handles;
        this.voices = voices;
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
                short[] hello = s.wave(v, "Hello.");
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
        return new PcmStream(v.sampleRate(), sampleRate) {
            private short[] wave;
            private int pos;

            @Override
            protected int read(short[] into) {
                if (wave == null) {
                    wave = sentence.isBlank() ? new short[0] : wave(v, sentence);
                }
                if (pos >= wave.length) {
                    return -1;
                }
                int n = Math.min(into.length, wave.length - pos);
                System.arraycopy(wave, pos, into, 0, n);
                pos += n;
                return n;
            }
        };
    }

    /**
     * One sentence, whole, at the voice's rate. flite's {@code cst_wave} (cst_wave.h) is {@code {const char *type;
     * int sample_rate; int num_samples; int num_channels; short *samples;}}; its rate and channel count are checked
     * against what the voice should give, so a differently laid out build fails loudly instead of playing noise.
     */
    private short[] wave(Voice v, String text) {
        synchronized (LOCK) {
            Pointer w = flite.flite_text_to_wave(text, handles.get(v.name()));
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
                Pointer data = w.getPointer(2L * Native.POINTER_SIZE + 8);
                return samples == 0 ? new short[0] : data.getShortArray(0, samples);
            } finally {
                flite.delete_wave(w);
            }
        }
    }
}
