package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tiermesh.testsupport.RequiredTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What an operator deploys, checked structurally: the Kubernetes manifests as
 * {@code kubectl kustomize} renders them (base and the spot-GPU example), compose.yaml and the
 * Dockerfile. The configs they carry are read by the node's own loader, so a manifest cannot
 * name a provider, a port or a drain time the config does not have.
 */
class DeployArtifactsTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static List<JsonNode> render(String dir) throws Exception {
    Path kubectl = RequiredTool.path("kubectl");
    Process p = new ProcessBuilder(kubectl.toString(), "kustomize", ROOT.resolve(dir).toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
    assertEquals(0, p.exitValue(), out);
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).readValues(out)) {
      while (it.hasNext()) {
        JsonNode d = (JsonNode) it.next();
        if (d != null && !d.isEmpty()) {
          docs.add(d);
        }
      }
    }
    return docs;
  }

  static List<JsonNode> kind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
  }

  static String name(JsonNode d) {
    return d.path("metadata").path("name").asText();
  }

  /** The config in the rendered ConfigMap, read as a node reads it (no variable set). */
  static MeshConfig config(List<JsonNode> docs) {
    List<JsonNode> maps = kind(docs, "ConfigMap");
    assertEquals(1, maps.size());
    String text = maps.get(0).path("data").path("tiermesh.yaml").asText();
    ConfigLoader.Checked c = ConfigLoader.check(text, "configmap", v -> null);
    assertEquals(List.of(), c.errors());
    return c.config();
  }

  static JsonNode tiermeshContainer(JsonNode deployment) {
    for (JsonNode c : deployment.path("spec").path("template").path("spec").path("containers")) {
      if ("tiermesh".equals(c.path("name").asText())) {
        return c;
      }
    }
    throw new AssertionError("no tiermesh container in " + name(deployment));
  }

  static List<String> args(JsonNode container) {
    List<String> out = new ArrayList<>();
    container.path("args").forEach(a -> out.add(a.asText()));
    return out;
  }

  static String rolesOf(JsonNode deployment) {
    List<String> a = args(tiermeshContainer(deployment));
    int i = a.indexOf("--roles");
    assertTrue(i >= 0 && i + 1 < a.size(), name(deployment) + " names no --roles: " + a);
    return a.get(i + 1);
  }

  static int portNamed(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (name.equals(p.path("name").asText())) {
        return p.path("containerPort").asInt();
      }
    }
    return -1;
  }

  /** Every check that holds for the base and for an overlay alike. */
  static void checkMesh(List<JsonNode> docs) {
    MeshConfig config = config(docs);
    long drainMs = config.drainMs() + config.drain().notReadyDelayMs();
    assertNotNull(config.management(), "the config opens a management port");
    int management = config.management().port();
    List<JsonNode> deployments = kind(docs, "Deployment");
    Map<String, JsonNode> byRole = new HashMap<>();
    Set<String> roles = new HashSet<>();
    for (JsonNode d : deployments) {
      JsonNode c = tiermeshContainer(d);
      List<String> a = args(c);
      String r = rolesOf(d);
      for (String role : r.split(",")) {
        roles.add(role.trim());
        assertEquals(null, byRole.put(role.trim(), d), "two Deployments run " + role);
      }
      // The config, with the roles and address the pod will give it, is valid.
      MeshConfig own = Main.Options.parse(new String[] {"--roles", r, "--cluster-host",
          "10.0.0.1"}).applyTo(config);
      assertEquals("10.0.0.1", own.cluster().host());
      assertEquals("$(POD_IP)", a.get(a.indexOf("--cluster-host") + 1), name(d));
      boolean podIp = false;
      for (JsonNode e : c.path("env")) {
        podIp |= "POD_IP".equals(e.path("name").asText()) && "status.podIP".equals(
            e.path("valueFrom").path("fieldRef").path("fieldPath").asText());
      }
      assertTrue(podIp, name(d) + " takes POD_IP from the Downward API");
      // Probes on the management port, the port the config opens.
      assertEquals(management, portNamed(c, "management"), name(d));
      assertEquals(config.cluster().port(), portNamed(c, "cluster"), name(d));
      assertEquals("/health/ready", c.path("readinessProbe").path("httpGet").path("path")
          .asText(), name(d));
      assertEquals("management", c.path("readinessProbe").path("httpGet").path("port")
          .asText(), name(d));
      assertEquals("/health/live", c.path("livenessProbe").path("httpGet").path("path")
          .asText(), name(d));
      assertEquals("management", c.path("livenessProbe").path("httpGet").path("port")
          .asText(), name(d));
      JsonNode pod = d.path("spec").path("template").path("spec");
      assertTrue(pod.path("terminationGracePeriodSeconds").asLong() * 1000 > drainMs,
          name(d) + ": grace period " + pod.path("terminationGracePeriodSeconds")
              + " s is not above the drain (" + drainMs + " ms)");
      assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean(), name(d));
      assertEquals("tiermesh", pod.path("volumes").get(0).path("configMap").path("name")
          .asText().replaceAll("-config.*", ""), name(d) + " mounts the config");
      // Every Deployment has a PodDisruptionBudget selecting its pods.
      JsonNode labels = d.path("spec").path("template").path("metadata").path("labels");
      assertTrue(kind(docs, "PodDisruptionBudget").stream().anyMatch(b -> selects(
          b.path("spec").path("selector").path("matchLabels"), labels)), name(d) + " has no PDB");
    }
    assertTrue(roles.containsAll(List.of("gateway", "router", "budget")), roles.toString());
    // One Deployment per provider of the config, each scalable on its own.
    for (var p : config.providers()) {
      JsonNode d = byRole.get("provider:" + p.id());
      assertNotNull(d, "no Deployment runs provider " + p.id());
      assertEquals("provider:" + p.id(), rolesOf(d), name(d) + " runs only that provider");
    }
    // The gateway: Service on its HTTP port and an autoscaler.
    JsonNode gateway = byRole.get("gateway");
    assertEquals(config.gateway().port(), portNamed(tiermeshContainer(gateway), "http"));
    assertTrue(kind(docs, "HorizontalPodAutoscaler").stream().anyMatch(h -> name(gateway)
        .equals(h.path("spec").path("scaleTargetRef").path("name").asText())));
    // Discovery: the headless Service whose DNS name lists the members, not-ready pods included.
    assertEquals(MeshConfig.Discovery.DNS, config.cluster().discoveryMode());
    String member = config.cluster().dns().name().split("\\.")[0];
    assertEquals(config.cluster().port(), config.cluster().dns().port());
    JsonNode headless = kind(docs, "Service").stream().filter(s -> name(s).equals(member))
        .findFirst().orElseThrow(() -> new AssertionError("no Service " + member));
    assertEquals("None", headless.path("spec").path("clusterIP").asText());
    assertTrue(headless.path("spec").path("publishNotReadyAddresses").asBoolean());
    for (JsonNode d : deployments) {
      assertTrue(selects(headless.path("spec").path("selector"),
          d.path("spec").path("template").path("metadata").path("labels")),
          "the headless Service misses " + name(d));
    }
    checkNetworkPolicies(docs, deployments);
  }

  /**
   * Mesh pods are covered by a policy admitting every port from mesh pods only; any other rule
   * that admits them opens nothing but the HTTP or management port.
   */
  static void checkNetworkPolicies(List<JsonNode> docs, List<JsonNode> deployments) {
    List<JsonNode> policies = kind(docs, "NetworkPolicy");
    for (JsonNode d : deployments) {
      JsonNode labels = d.path("spec").path("template").path("metadata").path("labels");
      boolean meshOnly = false;
      for (JsonNode np : policies) {
        if (!selects(np.path("spec").path("podSelector").path("matchLabels"), labels)) {
          continue;
        }
        for (JsonNode rule : np.path("spec").path("ingress")) {
          boolean fromMesh = rule.path("from").size() > 0;
          for (JsonNode from : rule.path("from")) {
            fromMesh &= from.has("podSelector") && !from.has("namespaceSelector")
                && selects(from.path("podSelector").path("matchLabels"), labels);
          }
          if (fromMesh && rule.path("ports").isEmpty()) {
            meshOnly = true;
          } else {
            assertFalse(rule.path("ports").isEmpty(), name(np) + " opens every port");
            for (JsonNode port : rule.path("ports")) {
              assertTrue(Set.of("http", "management").contains(port.path("port").asText()),
                  name(np) + " opens " + port);
            }
          }
        }
      }
      assertTrue(meshOnly, name(d) + ": no policy limits its cluster ports to mesh pods");
    }
  }

  /** Whether a label selector matches these labels. */
  static boolean selects(JsonNode selector, JsonNode labels) {
    if (selector.isMissingNode() || selector.isEmpty()) {
      return true;
    }
    var it = selector.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText())) {
        return false;
      }
    }
    return true;
  }

  @Test
  void baseManifestsRenderAndFitTheConfig() throws Exception {
    List<JsonNode> docs = render("deploy/k8s");
    checkMesh(docs);
    assertEquals(Set.of("tiermesh-provider-local", "tiermesh-provider-hosted",
        "tiermesh-provider-premium"), new HashSet<>(kind(docs, "Deployment").stream()
        .map(DeployArtifactsTest::name).filter(n -> n.startsWith("tiermesh-provider-")).toList()));
    for (JsonNode d : kind(docs, "Deployment")) {
      assertEquals("tiermesh", d.path("metadata").path("namespace").asText());
      assertTrue(tiermeshContainer(d).path("image").asText().startsWith("tiermesh:"));
      for (JsonNode e : tiermeshContainer(d).path("env")) {
        JsonNode ref = e.path("valueFrom").path("secretKeyRef");
        if (!ref.isMissingNode()) {
          assertEquals("tiermesh-keys", ref.path("name").asText(), "keys come from the Secret");
        }
      }
    }
  }

  @Test
  void spotGpuExampleRunsLocalOnGpuSpotNodesWithACpuFallback() throws Exception {
    List<JsonNode> docs = render("deploy/overlays/spot-gpu");
    checkMesh(docs);
    MeshConfig config = config(docs);
    var local = config.providers().stream().filter(p -> p.id().equals("local")).findFirst()
        .orElseThrow();
    var cpu = config.providers().stream().filter(p -> p.id().equals("local-cpu")).findFirst()
        .orElseThrow();
    assertEquals(local.tier(), cpu.tier(), "the fallback serves the same tier");
    assertTrue(config.providers().indexOf(local) < config.providers().indexOf(cpu));
    JsonNode gpu = null;
    JsonNode fallback = null;
    for (JsonNode d : kind(docs, "Deployment")) {
      if (name(d).equals("tiermesh-provider-local")) {
        gpu = d;
      } else if (name(d).equals("tiermesh-provider-local-cpu")) {
        fallback = d;
      }
    }
    assertNotNull(gpu);
    assertNotNull(fallback);
    JsonNode gpuPod = gpu.path("spec").path("template").path("spec");
    assertFalse(gpuPod.path("nodeSelector").isEmpty(), "the GPU provider is pinned to its pool");
    assertTrue(gpuPod.path("tolerations").size() > 0, "and tolerates the spot taint");
    assertTrue(gpuPod.toString().contains("nvidia.com/gpu"), "and asks for a GPU");
    JsonNode cpuPod = fallback.path("spec").path("template").path("spec");
    assertTrue(cpuPod.path("nodeSelector").isEmpty(), "the fallback runs on ordinary nodes");
    assertFalse(cpuPod.toString().contains("nvidia.com/gpu"));
  }

  @Test
  void composeRunsAThreeNodeMeshWithRedis() throws Exception {
    // SnakeYAML resolves the file's merge keys (<<: *node) as Compose does.
    JsonNode compose = YAML.valueToTree(new org.yaml.snakeyaml.Yaml().<Object>load(
        Files.readString(ROOT.resolve("compose.yaml"))));
    MeshConfig config = ConfigLoader.load(ROOT.resolve("deploy/compose/tiermesh.yaml"));
    JsonNode services = compose.path("services");
    assertTrue(services.has("redis"));
    assertTrue(services.path("redis").toString().contains("appendonly"));
    List<String> nodes = new ArrayList<>();
    Set<String> roles = new HashSet<>();
    Set<String> members = new HashSet<>(config.cluster().members());
    var it = services.fields();
    while (it.hasNext()) {
      var e = it.next();
      List<String> cmd = new ArrayList<>();
      e.getValue().path("command").forEach(c -> cmd.add(c.asText()));
      if (cmd.isEmpty() || !cmd.get(0).equals("node")) {
        continue;
      }
      nodes.add(e.getKey());
      String r = cmd.get(cmd.indexOf("--roles") + 1);
      roles.addAll(List.of(r.split(",")));
      String host = cmd.get(cmd.indexOf("--cluster-host") + 1);
      assertTrue(members.remove(host + ":" + config.cluster().port()),
          e.getKey() + " binds to " + host + ", which the config's members do not list");
      assertEquals(host, e.getValue().path("networks").path("mesh").path("ipv4_address")
          .asText());
      Main.Options.parse(new String[] {"--roles", r}).applyTo(config);
      // The anchor's settings reach every node: the config, Redis first, a grace period
      // above the drain.
      assertTrue(e.getValue().path("volumes").toString().contains("deploy/compose/tiermesh.yaml"),
          e.getKey());
      assertTrue(e.getValue().path("depends_on").has("redis"), e.getKey());
      long grace = Long.parseLong(e.getValue().path("stop_grace_period").asText()
          .replace("s", ""));
      assertTrue(grace * 1000 > config.drainMs() + config.drain().notReadyDelayMs());
    }
    assertEquals(3, nodes.size(), "three nodes: " + nodes);
    assertEquals(Set.of(), members, "every member address is a node");
    assertTrue(roles.containsAll(List.of("gateway", "router", "budget", "provider:local",
        "provider:hosted")), roles.toString());
    assertTrue(compose.toString().contains("127.0.0.1:8080:8080"), "the API on loopback only");
  }

  @Test
  void dockerfileIsMultiStageNonRootJreOnlyWithAHealthcheck() throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
    assertTrue(froms.size() >= 2, "multi-stage: " + froms);
    assertTrue(froms.get(0).contains(" AS build"), froms.get(0));
    String runtime = froms.get(froms.size() - 1);
    assertTrue(runtime.contains("-jre") && !runtime.contains("jdk") && !runtime.contains("maven"),
        "JRE-only runtime: " + runtime);
    List<String> last = lines.subList(lines.indexOf(runtime), lines.size());
    String user = last.stream().filter(l -> l.startsWith("USER ")).findFirst()
        .orElseThrow(() -> new AssertionError("the runtime stage sets no USER"));
    String uid = user.substring(5).split(":")[0];
    assertFalse(uid.equals("root") || uid.equals("0"), user);
    assertTrue(last.stream().anyMatch(l -> l.startsWith("COPY --from=build")
        && l.contains("tiermesh.jar")), "copies the node jar from the build stage");
    String health = String.join(" ", last.subList(last.indexOf(last.stream()
        .filter(l -> l.startsWith("HEALTHCHECK")).findFirst().orElseThrow()), last.size()));
    assertTrue(health.contains("/dev/tcp/127.0.0.1/9090") && health.contains("/health/live"),
        "healthcheck on the management port: " + health);
    assertTrue(last.stream().anyMatch(l -> l.startsWith("ENTRYPOINT [\"java\"")
        && l.contains("tiermesh.jar")), "exec-form entrypoint, so SIGTERM reaches the JVM");
    // The build stage packages the jar the runtime copies.
    assertTrue(lines.stream().anyMatch(l -> l.contains("-pl node -am package")));
    MeshConfig k8s = ConfigLoader.parse(Files.readString(ROOT.resolve("deploy/k8s/tiermesh.yaml")),
        "tiermesh.yaml", v -> null);
    assertEquals(9090, k8s.management().port(), "the healthcheck's port is the examples' port");
    assertTrue(Files.readString(ROOT.resolve(".dockerignore")).contains("**/target"));
  }
}
