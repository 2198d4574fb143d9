package io.tiermesh.node;

import io.tiermesh.contracts.config.ProviderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where keys come from: the environment or files, read once at start. Values are never
 * logged; errors name the variable or file, not the content.
 */
public final class Secrets {

  private final Map<String, String> env;

  public Secrets(Map<String, String> env) {
    this.env = env;
  }

  public static Secrets fromEnvironment() {
    return new Secrets(System.getenv());
  }

  public String env(String name) {
    if (name == null) {
      return null;
    }
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  public String providerKey(ProviderConfig p) {
    if (p.apiKeyEnv() != null) {
      String v = env(p.apiKeyEnv());
      if (v == null) {
        throw new ConfigException("provider " + p.id() + ": environment variable "
            + p.apiKeyEnv() + " is not set");
      }
      return v;
    }
    if (p.apiKeyFile() != null) {
      try {
        String v = Files.readString(Path.of(p.apiKeyFile())).trim();
        if (v.isEmpty()) {
          throw new ConfigException("provider " + p.id() + ": key file " + p.apiKeyFile()
              + " is empty");
        }
        return v;
      } catch (IOException e) {
        throw new ConfigException("provider " + p.id() + ": cannot read key file "
            + p.apiKeyFile());
      }
    }
    return null;
  }
}
