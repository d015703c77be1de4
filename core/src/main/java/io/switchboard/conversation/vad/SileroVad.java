package io.switchboard.conversation.vad;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * Silero VAD v5 run through ONNX Runtime: 32 ms windows (256 samples at 8 kHz, 512 at 16 kHz), each given to the
 * model with the previous window's last 32 or 64 samples as context and the recurrent state the previous window
 * left, exactly as Silero's own iterator and LiveKit's plugin feed it.
 *
 * <p>The model (vendored in core's resources with its licence, see the README there) is loaded once per process
 * into one ONNX session; {@link #load()} refuses to start without it. Thread-safety: the detector is shared by all
 * calls (ONNX Runtime sessions accept concurrent {@code run} calls); each {@link Stream} belongs to one channel and
 * is used by one thread at a time. Each window runs on the calling thread with one intra-op thread, so N calls
 * cost N windows' work and no pool grows behind them.
 */
public final class SileroVad implements VoiceActivityDetector {

    /** Where the model is on the classpath. */
    public static final String MODEL_RESOURCE = "io/switchboard/conversation/vad/silero_vad.onnx";

    /** sha256 of the vendored model: a different file (an LFS pointer, a truncated copy) is refused at load. */
    public static final String SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3";

    private static final int STATE_SIZE = 2 * 128;

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;

    private SileroVad(byte[] model) throws OrtException {
        env = OrtEnvironment.getEnvironment();
        options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(model, options);
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** The vendored model from the classpath. */
    public static SileroVad load() {
        return load(MODEL_RESOURCE);
    }

    /**
     * The model at classpath {@code resource}, which must be the vendored Silero v5 file.
     *
     * @throws IllegalStateException naming the resource if it is missing, is not that file or does not load
     */
    public static SileroVad load(String resource) {
        byte[] model;
        try (InputStream in = SileroVad.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("voice activity detection: the Silero VAD model " + resource
                        + " is not on the classpath; it ships in core's resources"
                        + " (core/src/main/resources/" + resource + ", see the README beside it)");
            }
            model = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("voice activity detection: cannot read the Silero VAD model " + resource, e);
        }
        String sha = sha256(model);
        if (!SHA256.equals(sha)) {
            throw new IllegalStateException("voice activity detection: " + resource + " is not the vendored Silero VAD v5"
                    + " model (sha256 " + sha + ", " + model.length + " bytes; expected " + SHA256 + ")");
        }
        try {
            return new SileroVad(model);
        } catch (OrtException e) {
            throw new IllegalStateException("voice activity detection: ONNX Runtime cannot load " + resource + ": "
                    + e.getMessage(), e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String engine() {
        return "silero";
    }

    @Override
    public Stream open(int sampleRate) {
        if (sampleRate != 8000 && sampleRate != 16_000) {
            throw new IllegalArgumentException("sampleRate: Silero VAD takes 8000 or 16000 Hz, got " + sampleRate);
        }
        try {
            return new SileroStream(sampleRate);
        } catch (OrtException e) {
            throw new IllegalStateException("voice activity detection: cannot allocate a stream: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("voice activity detection: closing the ONNX session: " + e.getMessage(), e);
        } finally {
            options.close();
        }
    }

    /**
     * One channel: its leftover samples, the model's context and recurrent state, and the three input tensors,
     * allocated once over direct buffers that each window rewrites in place.
     */
    private final class SileroStream implements Stream {

        private final int rate;
        private final int window;
        private final int context;
        private final short[] pending;
        private int pendingCount;
        private long samplesSeen;
        private final FloatBuffer input;
        private final FloatBuffer state;
        private final OnnxTensor inputTensor;
        private final OnnxTensor stateTensor;
        private final OnnxTensor rateTensor;
        private final Map<String, OnnxTensor> inputs;

        SileroStream(int rate) throws OrtException {
            this.rate = rate;
            this.window = rate == 8000 ? 256 : 512;
            this.context = rate == 8000 ? 32 : 64;
            this.pending = new short[window];
            this.input = direct(context + window).asFloatBuffer();
            this.state = direct(STATE_SIZE).asFloatBuffer();
            LongBuffer sr = ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
            sr.put(0, rate);
            OnnxTensor in = null;
            OnnxTensor st = null;
            try {
                in = OnnxTensor.createTensor(env, input, new long[] {1, context + window});
                st = OnnxTensor.createTensor(env, state, new long[] {2, 1, 128});
                rateTensor = OnnxTensor.createTensor(env, sr, new long[0]);
            } catch (OrtException | RuntimeException e) {
                if (in != null) {
                    in.close();
                }
                if (st != null) {
                    st.close();
                }
                throw e;
            }
            inputTensor = in;
            stateTensor = st;
            inputs = Map.of("input", inputTensor, "state", stateTensor, "sr", rateTensor);
        }

        private static ByteBuffer direct(int floats) {
            return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
        }

        @Override
        public int sampleRate() {
            return rate;
        }

        @Override
        public int windowSamples() {
            return window;
        }

        @Override
        public List<VadFrame> accept(short[] pcm16, int offset, int length) {
            if (offset < 0 || length < 0 || offset + length > pcm16.length) {
                throw new IllegalArgumentException("pcm16: range [" + offset + ", " + (offset + length)
                        + ") outside an array of " + pcm16.length);
            }
            List<VadFrame> frames = new ArrayList<>((pendingCount + length) / window);
            int i = offset;
            int end = offset + length;
            while (i < end) {
                int n = Math.min(window - pendingCount, end - i);
                System.arraycopy(pcm16, i, pending, pendingCount, n);
                pendingCount += n;
                i += n;
                if (pendingCount == window) {
                    frames.add(runWindow());
                    pendingCount = 0;
                }
            }
            return frames;
        }

        private VadFrame runWindow() {
            // input = [context | window]; the context is the previous input's tail, already in place after a shift
            for (int k = 0; k < context; k++) {
                input.put(k, input.get(window + k));
            }
            for (int k = 0; k < window; k++) {
                input.put(context + k, pending[k] / 32768f);
            }
            float probability;
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor out = (OnnxTensor) result.get("output").orElseThrow();
                OnnxTensor next = (OnnxTensor) result.get("stateN").orElseThrow();
                probability = out.getFloatBuffer().get(0);
                state.put(0, next.getFloatBuffer(), 0, STATE_SIZE);
            } catch (OrtException e) {
                throw new IllegalStateException("voice activity detection: the model failed on a window: "
                        + e.getMessage(), e);
            }
            VadFrame frame = new VadFrame(samplesSeen, window, rate, Math.clamp(probability, 0f, 1f),
                    AudioLevel.dbfs(pending, 0, window));
            samplesSeen += window;
            return frame;
        }

        @Override
        public void reset() {
            for (int k = 0; k < input.capacity(); k++) {
                input.put(k, 0f);
            }
            for (int k = 0; k < STATE_SIZE; k++) {
                state.put(k, 0f);
            }
            pendingCount = 0;
            samplesSeen = 0;
        }

        @Override
        public void close() {
            inputTensor.close();
            stateTensor.close();
            rateTensor.close();
        }
    }
}
