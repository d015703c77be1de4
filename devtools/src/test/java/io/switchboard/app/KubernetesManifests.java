package io.switchboard.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.Yaml;

/**
 * The environment {@code deploy/kubernetes} gives a pod, read from the manifests themselves: the ConfigMap's data,
 * the Secret {@code switchboard-env}'s values (a template: its placeholders are for the test to replace) and the
 * literal {@code env} entries of a Deployment's container.
 */
final class KubernetesManifests {

    static final Path DIRECTORY = Path.of("..", "deploy", "kubernetes");

    private KubernetesManifests() {
    }

    /** ConfigMap {@code switchboard-config}, then Secret {@code switchboard-env}, then the Deployment's own env. */
    static Map<String, String> environment(String deploymentFile) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> doc : documents("configmap.yaml")) {
            strings(doc.get("data")).forEach(env::put);
        }
        for (Map<String, Object> doc : documents("secret.yaml")) {
            if ("switchboard-env".equals(strings(doc.get("metadata")).get("name"))) {
                strings(doc.get("stringData")).forEach(env::put);
            }
        }
        for (Map<String, Object> doc : documents(deploymentFile)) {
            for (Object container : list(at(doc, "spec", "template", "spec", "containers"))) {
                for (Object entry : list(((Map<?, ?>) container).get("env"))) {
                    Map<?, ?> e = (Map<?, ?>) entry;
                    if (e.get("value") != null) {
                        env.put(String.valueOf(e.get("name")), String.valueOf(e.get("value")));
                    }
                }
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(String file) throws IOException {
        List<Map<String, Object>> docs = new java.util.ArrayList<>();
        for (Object doc : new Yaml().loadAll(Files.readString(DIRECTORY.resolve(file)))) {
            if (doc instanceof Map<?, ?> map) {
                docs.add((Map<String, Object>) map);
            }
        }
        return docs;
    }

    private static Object at(Map<?, ?> doc, String... path) {
        Object node = doc;
        for (String p : path) {
            node = node instanceof Map<?, ?> m ? m.get(p) : null;
        }
        return node;
    }

    private static List<?> list(Object node) {
        return node instanceof List<?> l ? l : List.of();
    }

    private static Map<String, String> strings(Object node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        }
        return out;
    }
}
