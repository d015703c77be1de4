package io.switchboard.server.grpc;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.function.Consumer;

import com.google.protobuf.ByteString;

/** An export written as a byte stream and sent as messages of at most {@code chunkSize} bytes. */
public final class ChunkedOutput extends OutputStream {

    private final int chunkSize;
    private final Consumer<ByteString> send;
    private final ByteArrayOutputStream pending;

    public ChunkedOutput(int chunkSize, Consumer<ByteString> send) {
        this.chunkSize = chunkSize;
        this.send = send;
        this.pending = new ByteArrayOutputStream(chunkSize);
    }

    @Override
    public void write(int b) {
        pending.write(b);
        if (pending.size() >= chunkSize) {
            flushChunk();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            int n = Math.min(len, chunkSize - pending.size());
            pending.write(b, off, n);
            off += n;
            len -= n;
            if (pending.size() >= chunkSize) {
                flushChunk();
            }
        }
    }

    private void flushChunk() {
        if (pending.size() > 0) {
            send.accept(ByteString.copyFrom(pending.toByteArray()));
            pending.reset();
        }
    }

    @Override
    public void close() {
        flushChunk();
    }
}
