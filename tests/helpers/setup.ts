// Each plan loads @pulumi/pulumi afresh, and each load adds process exit listeners.
process.setMaxListeners(100);
