import { option } from "./option.js";

// The options of --runner=dataflow, under the names Beam Java and Python give them
// (GcpOptions, DataflowPipelineOptions, DataflowPipelineWorkerPoolOptions, DebugOptions), so a
// command line written for another SDK's Dataflow runner reads the same here. src/runners/
// dataflow checks them when the runner is selected; other runners ignore them. None has a
// default here: what is not given is left to the Dataflow service.

/** The options `--runner=dataflow` reads, standard options of every pipeline. */
export const dataflowRunnerOptions = {
  project: option.string({ description: "Dataflow: the Google Cloud project the job runs in (default: --gcpProject, else GOOGLE_CLOUD_PROJECT)" }),
  region: option.string({ description: "Dataflow: the regional endpoint that runs the job, e.g. us-central1 (required)" }),
  stagingLocation: option.string({
    description: "Dataflow: gs:// folder the pipeline proto and the pipeline bundle are staged to (default: --tempLocation)",
  }),
  sdkContainerImage: option.string({
    description: "Dataflow: the beam-ts worker image the workers run (docs/CONTAINER.md), in a registry the workers can pull from (required)",
  }),
  serviceAccountEmail: option.string({ description: "Dataflow: the service account the worker VMs run as (default: the project's Compute Engine default)" }),
  network: option.string({ description: 'Dataflow: the VPC network of the worker VMs (default: the network "default")' }),
  subnetwork: option.string({ description: "Dataflow: the subnetwork of the worker VMs, regions/REGION/subnetworks/SUBNETWORK or a full URL" }),
  numWorkers: option.integer({ description: "Dataflow: workers the job starts with (default: the service's)", min: 1 }),
  maxNumWorkers: option.integer({ description: "Dataflow: most workers autoscaling may use (default: the service's)", min: 1 }),
  workerMachineType: option.string({ description: "Dataflow: Compute Engine machine type of the workers, e.g. n2-standard-4 (default: the service's)" }),
  autoscalingAlgorithm: option.choice(["NONE", "THROUGHPUT_BASED"], { description: "Dataflow: autoscaling, off (NONE) or by throughput (default: the service's)" }),
  labels: option.string({ description: 'Dataflow: job labels, key=value pairs separated by commas or a JSON object ({"team":"data"})' }),
  experiments: option.string({ description: "Dataflow: experiments for the service, separated by commas (runner v2 and portable job submission are always on)" }),
  dataflowEndpoint: option.string({ description: "Dataflow: the API endpoint (default https://dataflow.googleapis.com)" }),
  dataflowJobFile: option.string({
    description: "Dataflow: write the job creation request (JSON) to this local file and exit, without staging or submitting anything",
  }),
  update: option.boolean({ description: "Dataflow: replace the running job of the same --jobName with this pipeline, keeping its state" }),
  transformNameMapping: option.string({
    description: 'Dataflow, with --update: steps renamed since the running job, a JSON object {"OldName": "NewName"}',
  }),
};
