package io.switchboard.bench;

import static io.switchboard.db.Tables.MESSAGES;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;
import io.switchboard.contacts.ContactSpec;
import io.switchboard.devtools.DevStack;
import io.switchboard.devtools.Softphone;
import io.switchboard.messaging.MessagingService;
import org.jooq.DSLContext;

/**
 * Texts through the whole outbox, in one process on the dev stack: {@code MessagingService.send} (the checks, the
 * body sealed, the message row and its job in one transaction), the worker's {@code SendMessageJob} handing each
 * text to the dev softphone over Twilio's Messages API (HTTP, Basic auth), and the softphone's two signed status
 * callbacks per text (sent, delivered) verified and applied by the server. Per round: N texts queued as fast as one
 * thread can, then the time until all are with the carrier (messages/s sent) and until all are delivered (status
 * callbacks/s). Per-sender pacing is off (the default paces a long code at 1/s; this measures the platform, not
 * the carrier's limit). Usage: ./switchboard bench MessagingBenchmark [texts per round, default 2000] [rounds, default 3]
 * [worker slots, default 8]
 */
public final class MessagingBenchmark {

    private static final String SENDER = "+14155550100";

    private MessagingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int slots = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        Config config = Bench.devStack("messaging-bench", Map.of("messaging.per-sender-interval", "PT0S",
                "worker.concurrency", Integer.toString(slots), "worker.poll-interval", "PT0.05S",
                "dev.softphone.demo-callees", "false"));
        System.out.printf("%d cores; load average at start %.2f; %d texts per round; %d worker slots%n%n",
                Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage(), n, slots);
        try (DevStack stack = DevStack.start(config)) {
            Softphone phone = stack.softphone().orElseThrow(() -> new IllegalStateException(
                    "no softphone: install pocketsphinx-testdata (./switchboard setup)"));
            var operator = stack.plane().apiKeys().authenticate(stack.operatorKey(), "bench");
            var org = stack.plane().organizations().create(operator, "Bench", "growth", "owner@bench.example", "Owner");
            Bench.Tenant t = new Bench.Tenant(org.organization().id(),
                    stack.plane().apiKeys().authenticate(org.ownerKey().secret(), "bench"));
            MessagingService messaging = stack.plane().messaging();
            DSLContext dsl = stack.plane().database().dsl();
            messaging.addSender(t.owner(), SENDER);
            String contact = stack.plane().contacts().create(t.owner(), new ContactSpec("", "+14155550123", "Ada", "", "",
                    "{}", List.of(), daytimeZone(), List.of()), "").id().toString();
            System.out.println("| round | texts | queue (API sends/s) | with the carrier (texts/s) | delivered "
                    + "(texts/s; 2 callbacks each) | callbacks/s | load average |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (int r = 1; r <= rounds; r++) {
                int carriedBefore = phone.texts().size();
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    messaging.send(t.owner(), new MessagingService.SendRequest(contact, "", SENDER,
                            "Benchmark text " + r + "." + i, "", "", "", Map.of()));
                }
                double queued = seconds(start);
                while (phone.texts().size() - carriedBefore < n) {
                    Thread.sleep(10);
                }
                double carried = seconds(start);
                while (dsl.fetchCount(MESSAGES, MESSAGES.DIRECTION.eq("outbound").and(MESSAGES.STATUS.ne("delivered"))) > 0) {
                    Thread.sleep(20);
                }
                double delivered = seconds(start);
                System.out.printf("| %d | %d | %.0f | %.0f | %.0f | %.0f | %.2f |%n", r, n, n / queued, n / carried,
                        n / delivered, 2 * n / delivered,
                        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            }
            int doubled = phone.texts().size() - rounds * n;
            if (doubled != 0) {
                throw new IllegalStateException("the carrier received " + doubled + " texts more than were sent");
            }
        }
        System.exit(0);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** A fixed-offset zone where it is now daytime, so the calling window is open. */
    private static String daytimeZone() {
        for (int h = -12; h <= 14; h++) {
            java.time.ZoneId z = java.time.ZoneId.of(h == 0 ? "Etc/GMT" : "Etc/GMT" + (h > 0 ? "-" : "+") + Math.abs(h));
            int hour = java.time.Instant.now().atZone(z).getHour();
            if (hour >= 10 && hour < 18) {
                return z.getId();
            }
        }
        throw new IllegalStateException("no daytime zone");
    }
}
