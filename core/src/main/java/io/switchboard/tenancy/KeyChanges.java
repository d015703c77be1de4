package io.switchboard.tenancy;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This process's word that a key, or every key of an organisation, may have become invalid or weaker: told
 * by the services that revoke keys, change users' roles, delete users and close organisations, once their
 * transaction has committed, so that this process's {@link VerifiedKeys} drops the key before the request that
 * changed it has returned. Other processes hear the same change from the database (NOTIFY, see V15).
 */
public final class KeyChanges {

    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /** {@code listener} receives {@code key:<id>} or {@code org:<id>}, as the database's announcements. */
    public void subscribe(Consumer<String> listener) {
        listeners.add(listener);
    }

    void key(UUID id) {
        listeners.forEach(l -> l.accept("key:" + id));
    }

    void organization(UUID id) {
        listeners.forEach(l -> l.accept("org:" + id));
    }
}
