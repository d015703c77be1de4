package io.switchboard.server.web;

import static io.switchboard.server.ApiHarness.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.switchboard.server.ApiHarness;
import io.switchboard.v1.ListPlansRequest;
import io.switchboard.v1.ListPlansResponse;
import io.switchboard.v1.PlanServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Answers are not gzipped because a client merely accepts gzip (every stock client says it does); a request
 * that is itself compressed is still read, and answered in its encoding.
 */
class ResponseCompressionTest {

    private static final Metadata.Key<String> GRPC_ENCODING = Metadata.Key.of("grpc-encoding",
            Metadata.ASCII_STRING_MARSHALLER);

    private ApiHarness api;
    private String key;
    private final List<String> answeredEncodings = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        api = new ApiHarness();
        key = api.fixtures.tenant("Acme", "growth").ownerKey();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        api.close();
    }

    /** Records the {@code grpc-encoding} of each answer's headers. */
    private final ClientInterceptor encodingOfAnswers = new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onHeaders(Metadata answer) {
                            answeredEncodings.add(String.valueOf(answer.get(GRPC_ENCODING)));
                            super.onHeaders(answer);
                        }
                    }, headers);
                }
            };
        }
    };

    private PlanServiceGrpc.PlanServiceBlockingStub plans() {
        return PlanServiceGrpc.newBlockingStub(api.channel).withCallCredentials(bearer(key))
                .withInterceptors(encodingOfAnswers);
    }

    @Test
    void anUncompressedRequestIsAnsweredUncompressedThoughTheClientAcceptsGzip() {
        ListPlansResponse plans = plans().listPlans(ListPlansRequest.getDefaultInstance());

        assertEquals(3, plans.getPlansCount());
        assertEquals(List.of("identity"), answeredEncodings);
    }

    @Test
    void aGzippedRequestIsReadAndAnsweredInGzip() {
        ListPlansResponse plans = plans().withCompression("gzip").listPlans(ListPlansRequest.getDefaultInstance());

        assertEquals(3, plans.getPlansCount());
        assertEquals(List.of("gzip"), answeredEncodings);
    }
}
