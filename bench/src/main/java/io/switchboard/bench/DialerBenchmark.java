package io.switchboard.bench;

import static io.switchboard.db.Tables.CONTACTS;
import static io.switchboard.db.Tables.CONTACT_LIST_MEMBERS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.switchboard.ControlPlane;
import io.switchboard.agents.AgentSpec;
import io.switchboard.devtools.EmbeddedServices;
import io.switchboard.campaigns.CampaignSpec;
import io.switchboard.campaigns.CampaignState;
import io.switchboard.common.Configs;
import io.switchboard.common.Database;
import io.switchboard.common.Ids;
import io.switchboard.dialer.DialAttempts;
import io.switchboard.dialer.DialGuards;
import io.switchboard.dialer.DialOutcome;
import io.switchboard.dialer.Dialer;
import io.switchboard.dialer.NationalDoNotCall;
import io.switchboard.dialer.Telephony;
import io.switchboard.migrations.Migrations;
import io.switchboard.plans.PlanCatalog;
import io.switchboard.storage.ObjectStore;
import io.switchboard.tenancy.Principal;

/**
 * The dialer's own cost: how fast {@code workers} dialers (each with its own connection pool, as worker
 * processes would have) get through a campaign of {@code contacts} contacts at {@code concurrency} calls at
 * once, on the embedded PostgreSQL. The carrier is an in-process {@link Telephony} whose every call is
 * answered and over {@code callTime} after it was placed, reported through {@link DialAttempts} as the
 * server's bridge would: so the numbers are the database work of claiming, guarding and settling, not a
 * carrier's. Reports dials per second, the most calls in flight at once (which must not exceed the
 * concurrency), and the time from start to completion.
 * Usage: ./switchboard bench DialerBenchmark [contacts] [concurrency] [workers] [callTime] [tick]
 */
public final class DialerBenchmark {

    private DialerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int contacts = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Duration callTime = args.length > 3 ? Duration.parse(args[3]) : Duration.ofMillis(500);
        Duration tick = args.length > 4 ? Duration.parse(args[4]) : Duration.ofMillis(500);
        Path home = Files.createTempDirectory("dialer-bench");
        try (EmbeddedServices services = EmbeddedServices.start(home, Bench.freePort(), Bench.freePort())) {
            List<Database> pools = new ArrayList<>();
            for (int w = 0; w < workers + 1; w++) {
                pools.add(Database.connect(services.jdbcUrl(), "postgres", "", 8));
            }
            Migrations.migrate(pools.getFirst().dataSource());
            List<ControlPlane> planes = new ArrayList<>();
            ObjectStore store = new ObjectStore(services.s3Endpoint(), EmbeddedServices.S3_ACCESS_KEY,
                    EmbeddedServices.S3_SECRET_KEY, "us-east-1", "switchboard"); // the dialer stores no audio
            for (Database db : pools) {
                planes.add(ControlPlane.builder(db, PlanCatalog.fromConfig(Configs.defaults()), store).build());
            }
            ControlPlane plane = planes.getFirst();
            Bench.Tenant org = Bench.tenant(plane, "enterprise");
            Principal owner = org.owner();
            UUID agent = plane.agents().create(owner, new AgentSpec("A", "en-US", "", "", "", "", List.of())).id();
            UUID list = plane.contacts().createList(owner, "Everyone", "").id();
            var dsl = plane.database().dsl();
            Instant now = Instant.now();
            for (int i = 0; i < contacts; i += 5000) {
                var insert = dsl.insertInto(CONTACTS, CONTACTS.ID, CONTACTS.ORGANIZATION_ID, CONTACTS.PHONE_E164,
                        CONTACTS.TIME_ZONE, CONTACTS.CREATED_AT, CONTACTS.UPDATED_AT);
                var members = dsl.insertInto(CONTACT_LIST_MEMBERS, CONTACT_LIST_MEMBERS.CONTACT_LIST_ID,
                        CONTACT_LIST_MEMBERS.CONTACT_ID, CONTACT_LIST_MEMBERS.ORGANIZATION_ID, CONTACT_LIST_MEMBERS.ADDED_AT);
                for (int k = i; k < Math.min(contacts, i + 5000); k++) {
                    UUID id = Ids.newId();
                    // Etc/GMT-12 .. +12 would put some outside the window; a zone where it is midday keeps all callable
                    insert = insert.values(id, org.organizationId(), "+1212" + String.format("%07d", 1_000_000 + k),
                            middayZone(), now, now);
                    members = members.values(list, id, org.organizationId(), now);
                }
                insert.execute();
                members.execute();
            }
            String campaign = plane.campaigns().create(owner, new CampaignSpec("Bench", agent.toString(), list.toString(),
                    "+14155550100", Optional.empty(), Optional.empty(), CampaignSpec.Window.UNSET, concurrency,
                    CampaignSpec.Retry.UNSET, List.of(), new CampaignSpec.Dialing(false, 20, List.of()))).id().toString();

            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger peak = new AtomicInteger();
            AtomicInteger dialled = new AtomicInteger();
            ScheduledExecutorService hangups = Executors.newScheduledThreadPool(2);
            DialAttempts settle = new DialAttempts(pools.getLast().dsl(), Clock.systemUTC());
            Telephony carrier = new Telephony() {
                @Override
                public String name() {
                    return "bench";
                }

                @Override
                public String dial(DialRequest r) {
                    peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    dialled.incrementAndGet();
                    hangups.schedule(() -> Thread.ofVirtual().start(() -> {
                        inFlight.decrementAndGet();
                        settle.finish(r.attemptId(), DialOutcome.COMPLETED, "answered", Optional.of(callTime.toMillis()));
                    }), callTime.toMillis(), TimeUnit.MILLISECONDS);
                    return "CA" + r.attemptId();
                }

                @Override
                public void hangUp(String carrierCallId) {
                }
            };
            List<Dialer> dialers = new ArrayList<>();
            ScheduledExecutorService ticks = Executors.newScheduledThreadPool(workers);
            for (int w = 0; w < workers; w++) {
                ControlPlane p = planes.get(w);
                Dialer d = new Dialer(p.database().dsl(), p.clock(), p.plans(), p.campaigns(), p.dialAttempts(),
                        new DialGuards(NationalDoNotCall.none()), carrier, new Dialer.Settings("w" + w,
                        Duration.ofSeconds(10), Duration.ofMinutes(2), Duration.ofSeconds(60), 1000));
                dialers.add(d);
                ticks.scheduleWithFixedDelay(() -> {
                    try {
                        d.tick();
                    } catch (RuntimeException e) {
                        e.printStackTrace();
                    }
                }, 0, tick.toMillis(), TimeUnit.MILLISECONDS);
            }
            System.out.printf("%d contacts, campaign concurrency %d (plan: 500 live calls), %d dialers ticking every %d ms,"
                    + " every call answered and over after %d ms%n", contacts, concurrency, workers, tick.toMillis(),
                    callTime.toMillis());
            long t0 = System.nanoTime();
            plane.campaigns().start(owner, campaign);
            int lastReported = 0;
            while (plane.campaigns().get(owner, campaign).state() != CampaignState.COMPLETED) {
                Thread.sleep(200);
                double s = (System.nanoTime() - t0) / 1e9;
                if (s - lastReported >= 5) {
                    lastReported = (int) s;
                    System.out.printf("  %5.1f s: %d dialled, %d in flight%n", s, dialled.get(), inFlight.get());
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            ticks.shutdownNow();
            hangups.shutdownNow();
            dialers.forEach(Dialer::close);
            var stats = plane.campaignProgress().stats(owner, campaign);
            System.out.printf("completed in %.1f s: %d dials, %.0f dials/s, peak %d calls in flight (limit %d); "
                            + "the ideal at this concurrency and call time is %.0f dials/s; contacts %s%n",
                    seconds, dialled.get(), dialled.get() / seconds, peak.get(), concurrency,
                    concurrency * 1000.0 / callTime.toMillis(), stats.contacts());
            pools.forEach(Database::close);
        }
    }

    private static String middayZone() {
        for (int h = -12; h <= 14; h++) {
            String z = h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h);
            int hour = Instant.now().atZone(java.time.ZoneId.of(z)).getHour();
            if (hour >= 10 && hour < 17) {
                return z;
            }
        }
        throw new IllegalStateException("no zone at midday");
    }
}
