package io.switchboard.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.switchboard.devtools.DevStack;
import io.switchboard.v1.ContactList;
import io.switchboard.v1.ContactServiceGrpc;
import io.switchboard.v1.CreateContactListRequest;
import io.switchboard.v1.ListContactListsRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's retry that cannot duplicate, through a real PostgreSQL restart. A create is held up inside its
 * transaction until the client's deadline has passed, then commits: the resource exists, the client never
 * heard. The database then restarts while the client retries (refused UNAVAILABLE until it is back). Retried
 * with the same {@code request_id} there is exactly one resource and the retry's answer names it; retried
 * without one (the control, as clients did before) there are two.
 */
class RetryAfterLostAnswerTest {

    @TempDir
    static Path home;
    private static DevStack stack;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        stack = TestStacks.start(home, Map.of("dev.softphone.enabled", "false", "db.connection-timeout", "PT1S"));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", stack.grpcPort()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        TestStacks.stop(channel, stack);
    }

    @Test
    void createWhoseAnswerWasLostIsRetriedThroughARestartAndMadeOnce() throws Exception {
        String key = TestStacks.organization(channel, stack.operatorKey(), "Hooli", "enterprise");
        var lists = ContactServiceGrpc.newBlockingStub(channel).withCallCredentials(TestStacks.bearer(key));
        CreateContactListRequest withId = CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setName("with request_id"))
                .setRequestId(UUID.randomUUID().toString()).build();
        CreateContactListRequest withoutId = CreateContactListRequest.newBuilder()
                .setContactList(ContactList.newBuilder().setName("without request_id")).build();

        try (Connection db = DriverManager.getConnection(stack.embedded().jdbcUrl(), "postgres", "postgres")) {
            db.setAutoCommit(false);
            try (Statement s = db.createStatement()) {
                s.execute("LOCK TABLE contact_lists IN SHARE MODE"); // reads go on, inserts wait
            }
            for (CreateContactListRequest lost : new CreateContactListRequest[] {withId, withoutId}) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> lists
                        .withDeadlineAfter(1500, TimeUnit.MILLISECONDS).createContactList(lost));
                assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
            }
            db.commit();
        }
        Instant deadline = Instant.now().plusSeconds(30);
        while ((named(lists, "with request_id") < 1 || named(lists, "without request_id") < 1)
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }
        assertEquals(1, named(lists, "with request_id"), "the first attempt was made though its answer was lost");
        assertEquals(1, named(lists, "without request_id"));
        String made = retry(() -> lists.listContactLists(ListContactListsRequest.newBuilder().setPageSize(100)
                .build())).getContactListsList().stream().filter(l -> l.getName().equals("with request_id"))
                .findFirst().orElseThrow().getId();

        stack.embedded().stopPostgres();
        StatusRuntimeException down;
        try {
            down = assertThrows(StatusRuntimeException.class, () -> lists.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .createContactList(withId));
        } finally {
            stack.embedded().startPostgres();
        }
        assertEquals(Status.Code.UNAVAILABLE, down.getStatus().getCode(), "the retry during the outage is refused");
        ContactList retried = retry(() -> lists.withDeadlineAfter(30, TimeUnit.SECONDS).createContactList(withId));
        retry(() -> lists.withDeadlineAfter(30, TimeUnit.SECONDS).createContactList(withoutId));

        assertEquals(made, retried.getId(), "the retry answers with the list the lost attempt made");
        assertEquals(1, named(lists, "with request_id"));
        assertEquals(2, named(lists, "without request_id"), "without a request_id the retry made a second list");
    }

    @FunctionalInterface
    private interface Call<T> {
        T call();
    }

    /** Tries until the API answers, as a client riding out the restart would. */
    private static <T> T retry(Call<T> call) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            try {
                return call.call();
            } catch (StatusRuntimeException e) {
                if (Instant.now().isAfter(deadline) || e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /**
     * How many lists are called {@code name}. Retried as a client riding out a restart would: a call the client
     * gave up on just as the server answered it may still cost Helidon 4.5's connection (see
     * PseudoHeaderNormalizingReader), and the next call on it finds it gone (UNAVAILABLE).
     */
    private static long named(ContactServiceGrpc.ContactServiceBlockingStub lists, String name)
            throws InterruptedException {
        return retry(() -> lists.listContactLists(ListContactListsRequest.newBuilder().setPageSize(100).build()))
                .getContactListsList().stream().filter(l -> l.getName().equals(name)).count();
    }
}
