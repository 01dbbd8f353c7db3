// The plugin's entry (PulumiPlugin.yaml `main`): serves dockernet's components over Pulumi's provider
// protocol. Pulumi's nodejs language host runs it; it prints the port it listens on, answers
// GetSchema with the schema the component analyzer reads off the classes, and Construct by running
// the component against the caller's resource monitor.
import { main } from "@pulumi/pulumi/provider";
import { DockernetProvider } from "./package";

void main(new DockernetProvider(), process.argv.slice(2));
