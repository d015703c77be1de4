package io.switchboard.idempotency;

import static io.switchboard.db.Tables.AGENTS;
import static io.switchboard.db.Tables.API_KEYS;
import static io.switchboard.db.Tables.REQUEST_IDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.switchboard.agents.Agent;
import io.switchboard.agents.AgentSpec;
import io.switchboard.common.SwitchboardException;
import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactList;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.tenancy.ApiKey;
import io.switchboard.tenancy.OrganizationService;
import io.switchboard.tenancy.Role;
import io.switchboard.tenancy.User;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import io.switchboard.webhooks.WebhookEndpoint;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RequestIdsTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T12:00:00Z"));
    private Fixtures f;
    private Fixtures.Tenant acme;
    private DSLContext dsl;

    @BeforeEach
    void setUp() {
        f = Fixtures.fresh(clock);
        acme = f.tenant("Acme", "enterprise");
        dsl = f.plane.database().dsl();
    }

    private static AgentSpec spec(String name) {
        return new AgentSpec(name, "en-US", "You are polite.", "Hello!", "flite:slt", "", List.of());
    }

    private static RequestId key(UUID id, String body) {
        return RequestId.of(id.toString(), body.getBytes(StandardCharsets.UTF_8));
    }

    private int agents(Fixtures.Tenant t) {
        return dsl.fetchCount(AGENTS, AGENTS.ORGANIZATION_ID.eq(t.owner().organizationId()));
    }

    @Test
    void retryWithTheSameRequestIdGetsTheResourceTheFirstAttemptMade() {
        UUID id = UUID.randomUUID();
        Agent first = f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
        Agent retry = f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
        assertEquals(first, retry);
        assertEquals(1, agents(acme));
        assertEquals(1, f.audited.stream().filter(e -> e.action().equals("agent.create")).count(),
                "the retry changed nothing, so it audited nothing");
    }

    @Test
    void withoutARequestIdEveryCreateMakesANewResource() {
        f.plane.agents().create(acme.owner(), spec("Sales"), RequestId.NONE);
        f.plane.agents().create(acme.owner(), spec("Sales"), RequestId.NONE);
        assertEquals(2, agents(acme));
    }

    @Test
    void sameRequestIdWithAnotherRequestIsAlreadyExistsNamingRequestId() {
        UUID id = UUID.randomUUID();
        f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
        var e = assertThrows(SwitchboardException.AlreadyExists.class,
                () -> f.plane.agents().create(acme.owner(), spec("Support"), key(id, "support")));
        assertEquals("request_id", e.field());
        assertTrue(e.getMessage().contains("different request"), e.getMessage());
        var otherKind = assertThrows(SwitchboardException.AlreadyExists.class,
                () -> f.plane.contacts().createList(acme.owner(), "Leads", "", key(id, "sales")));
        assertEquals("request_id", otherKind.field(), "one id cannot name two kinds of resource either");
        assertEquals(1, agents(acme));
    }

    @Test
    void requestIdThatIsNotAUuidIsInvalidArgumentNamingRequestId() {
        var e = assertThrows(SwitchboardException.InvalidArgument.class,
                () -> RequestId.of("retry-1", new byte[0]));
        assertEquals("request_id", e.violations().getFirst().field());
        assertTrue(e.violations().getFirst().reason().contains("UUID"));
        assertEquals(RequestId.NONE, RequestId.of("", new byte[0]), "an empty request_id is none");
    }

    @Test
    void anotherOrganisationsSameRequestIdMakesItsOwnResource() {
        Fixtures.Tenant globex = f.tenant("Globex", "enterprise");
        UUID id = UUID.randomUUID();
        Agent ours = f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
        Agent theirs = f.plane.agents().create(globex.owner(), spec("Sales"), key(id, "sales"));
        assertNotEquals(ours.id(), theirs.id());
        assertEquals(globex.owner().organizationId(), theirs.organizationId());
        Agent theirsWithOtherBody = f.plane.agents().create(globex.owner(), spec("Sales"), key(UUID.randomUUID(), "x"));
        assertNotEquals(theirs.id(), theirsWithOtherBody.id());
        assertEquals(1, agents(acme));
        assertEquals(2, agents(globex));
    }

    @Test
    void concurrentAttemptsWithOneRequestIdMakeExactlyOneResource() throws Exception {
        UUID id = UUID.randomUUID();
        int attempts = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        try {
            List<Future<Agent>> results = new ArrayList<>();
            for (int i = 0; i < attempts; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
                }));
            }
            go.countDown();
            UUID made = results.getFirst().get().id();
            for (Future<Agent> r : results) {
                assertEquals(made, r.get().id());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, agents(acme));
    }

    @Test
    void requestIdIsForgottenAfterTwentyFourHoursAndSwept() {
        UUID id = UUID.randomUUID();
        Agent first = f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales"));
        clock.advance(RequestIds.WINDOW.minusMinutes(1));
        assertEquals(first.id(), f.plane.agents().create(acme.owner(), spec("Sales"), key(id, "sales")).id());
        clock.advance(Duration.ofMinutes(2));
        Agent later = f.plane.agents().create(acme.owner(), spec("Support"), key(id, "support"));
        assertNotEquals(first.id(), later.id(), "an expired row is taken over");
        clock.advance(RequestIds.WINDOW);
        assertEquals(1, f.plane.requestIds().sweepExpired());
        assertEquals(0, dsl.fetchCount(REQUEST_IDS));
    }

    @Test
    void retriedApiKeyCreateAnswersWithTheSameSecretFromASealedRow() {
        UUID id = UUID.randomUUID();
        ApiKey.Created first = f.plane.apiKeys().create(acme.owner(), "ci", Role.ADMIN, "", Optional.empty(),
                key(id, "ci"));
        ApiKey.Created retry = f.plane.apiKeys().create(acme.owner(), "ci", Role.ADMIN, "", Optional.empty(),
                key(id, "ci"));
        assertEquals(first, retry);
        assertEquals(first.apiKey().id(), f.plane.apiKeys().authenticate(retry.secret(), "test").apiKeyId());
        assertEquals(2, dsl.fetchCount(API_KEYS, API_KEYS.ORGANIZATION_ID.eq(acme.owner().organizationId())),
                "the owner key and this one");
        byte[] stored = dsl.select(REQUEST_IDS.SEALED_SECRET).from(REQUEST_IDS)
                .where(REQUEST_IDS.REQUEST_ID.eq(id)).fetchOne(REQUEST_IDS.SEALED_SECRET);
        assertTrue(!new String(stored, StandardCharsets.ISO_8859_1).contains(first.secret()),
                "the secret is never stored in clear");
    }

    @Test
    void everyCreateKindReplaysItsFirstAnswer() {
        UUID orgRequest = UUID.randomUUID();
        OrganizationService.Created org = f.plane.organizations().create(f.operator(), "Initech", "growth",
                "owner@initech.example", "Owner", key(orgRequest, "initech"));
        assertEquals(org, f.plane.organizations().create(f.operator(), "Initech", "growth",
                "owner@initech.example", "Owner", key(orgRequest, "initech")));

        UUID userRequest = UUID.randomUUID();
        User user = f.plane.users().create(acme.owner(), "ann@acme.example", "Ann", Role.AGENT, key(userRequest, "u"));
        assertEquals(user, f.plane.users().create(acme.owner(), "ann@acme.example", "Ann", Role.AGENT,
                key(userRequest, "u")), "not ALREADY_EXISTS for the email: the retry is the same request");

        UUID listRequest = UUID.randomUUID();
        ContactList list = f.plane.contacts().createList(acme.owner(), "Leads", "", key(listRequest, "l"));
        assertEquals(list, f.plane.contacts().createList(acme.owner(), "Leads", "", key(listRequest, "l")));

        UUID contactRequest = UUID.randomUUID();
        ContactSpec ada = new ContactSpec("", "+14155550123", "Ada", "", "", "{}", List.of(), "",
                List.of(list.id().toString()));
        Contact contact = f.plane.contacts().create(acme.owner(), ada, "US", key(contactRequest, "c"));
        assertEquals(contact, f.plane.contacts().create(acme.owner(), ada, "US", key(contactRequest, "c")));

        UUID hookRequest = UUID.randomUUID();
        WebhookEndpoint.Created hook = f.plane.webhooks().create(acme.owner(), "http://placeholder/hook",
                List.of("call.completed"), "", key(hookRequest, "h"));
        WebhookEndpoint.Created hookRetry = f.plane.webhooks().create(acme.owner(), "http://placeholder/hook",
                List.of("call.completed"), "", key(hookRequest, "h"));
        assertEquals(hook.endpoint().id(), hookRetry.endpoint().id());
        assertEquals(hook.secret(), hookRetry.secret());
        assertArrayEquals(new long[] {1, 1, 1, 1},
                new long[] {f.plane.users().list(acme.owner(), 0, "").items().stream()
                        .filter(u -> u.email().equals("ann@acme.example")).count(),
                        f.plane.contacts().listLists(acme.owner(), 0, "").items().size(),
                        f.plane.contacts().list(acme.owner(), "", "", 0, "").items().size(),
                        f.plane.webhooks().list(acme.owner(), 0, "").items().size()});
    }
}
