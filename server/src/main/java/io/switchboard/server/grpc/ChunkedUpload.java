package io.switchboard.server.grpc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.switchboard.common.SwitchboardException;

/**
 * A file uploaded over a client stream: the first message carries options, the rest the file's bytes. The
 * options are checked when they arrive (so a bad list id fails before megabytes are sent); the file is
 * buffered up to {@code maxBytes} and handled when the client half-closes. Nothing is written before then:
 * a client that goes away leaves nothing behind.
 *
 * @param <Q> the request message, @param <O> its options, @param <R> the reply
 */
public final class ChunkedUpload<Q, O, R> implements StreamObserver<Q> {

    private final Function<Q, Optional<O>> optionsOf;
    private final Function<Q, Optional<ByteString>> chunkOf;
    private final Consumer<O> check;
    private final BiFunction<O, byte[], R> handle;
    private final int maxBytes;
    private final StreamObserver<R> out;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private O options;
    private RuntimeException failure;

    /**
     * @param optionsOf the options a message carries, if it carries them
     * @param chunkOf   the bytes a message carries, if it carries them (a message with neither is refused)
     */
    public ChunkedUpload(Function<Q, Optional<O>> optionsOf, Function<Q, Optional<ByteString>> chunkOf, Consumer<O> check,
                         BiFunction<O, byte[], R> handle, int maxBytes, StreamObserver<R> out) {
        this.optionsOf = optionsOf;
        this.chunkOf = chunkOf;
        this.check = check;
        this.handle = handle;
        this.maxBytes = maxBytes;
        this.out = out;
    }

    @Override
    public void onNext(Q req) {
        if (failure != null) {
            return;
        }
        try {
            Optional<O> o = optionsOf.apply(req);
            Optional<ByteString> chunk = chunkOf.apply(req);
            if (o.isPresent()) {
                if (options != null) {
                    throw new SwitchboardException.InvalidArgument("options", "sent twice; send it once, first");
                }
                if (buffer.size() > 0) {
                    throw new SwitchboardException.InvalidArgument("options", "must come before the first chunk");
                }
                options = o.get();
                check.accept(options);
            } else if (chunk.isPresent()) {
                if (options == null) {
                    throw new SwitchboardException.InvalidArgument("options", "the first message must carry the options");
                }
                if (buffer.size() + chunk.get().size() > maxBytes) {
                    throw new SwitchboardException.InvalidArgument("chunk", "the file exceeds "
                            + maxBytes / (1024 * 1024) + " MiB; split it into several imports");
                }
                chunk.get().writeTo(buffer);
            } else {
                throw new SwitchboardException.InvalidArgument("payload", "each message carries either options or a chunk");
            }
        } catch (RuntimeException e) {
            failure = e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void onError(Throwable t) {
        // the client went away; nothing was written yet
    }

    @Override
    public void onCompleted() {
        if (failure != null) {
            throw failure;
        }
        if (options == null) {
            throw new SwitchboardException.InvalidArgument("options", "the first message must carry the options");
        }
        Replies.reply(out, handle.apply(options, buffer.toByteArray()));
    }
}
