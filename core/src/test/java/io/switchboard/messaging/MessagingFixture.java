package io.switchboard.messaging;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;

import io.switchboard.contacts.Contact;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.testing.Fixtures;
import io.switchboard.testing.MutableClock;
import org.jooq.DSLContext;

/**
 * What the messaging tests start from, on real PostgreSQL: a fresh database whose clock stands at {@link #NOON},
 * organisation Acme on a plan with its sender numbers, and Ada, a contact in New York at {@link #PHONE}.
 */
abstract class MessagingFixture {

    static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    /** A Monday, noon in New York: inside the default calling window. */
    static final Instant NOON = ZonedDateTime.of(2026, 12, 7, 12, 0, 0, 0, NEW_YORK).toInstant();
    static final String PHONE = "+12125550123";

    MutableClock clock;
    Fixtures f;
    MessagingService messaging;
    DSLContext dsl;
    Fixtures.Tenant acme;
    Contact ada;

    /** Sets the fixture up: Acme on {@code plan} with {@code senders}, Ada with these names, e-mail and metadata. */
    void start(String plan, String adaLastName, String adaEmail, String adaMetadata, String... senders) {
        clock = new MutableClock(NOON);
        f = Fixtures.fresh(clock);
        messaging = f.plane.messaging();
        dsl = f.plane.database().dsl();
        acme = f.tenant("Acme", plan);
        for (String sender : senders) {
            messaging.addSender(acme.owner(), sender);
        }
        ada = f.plane.contacts().create(acme.owner(), new ContactSpec("", PHONE, "Ada", adaLastName, adaEmail,
                adaMetadata, List.of(), NEW_YORK.getId(), List.of()), "");
    }
}
