// kube-network-policies for the real node: the upstream controller package
// (sigs.k8s.io/kube-network-policies/pkg/networkpolicy), started with the cluster's
// kubeconfig. Upstream's own main reads only the in-cluster config (a service-account
// token under /var/run/secrets), which a host daemon of a throwaway cluster does not have.
//
// It also stops on SIGTERM, not only SIGINT: the controller deletes its nftables table
// when its context ends, and `cluster.java down` stops daemons with SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
)

func main() {
	os.Exit(run())
}

func run() int {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (required)")
	node := flag.String("hostname-override", "", "the node whose pods get enforced (required)")
	queue := flag.Int("nfqueue-id", 100, "nfqueue number")
	table := flag.String("nftables-table", "kube-network-policies", "name of the inet nftables table")
	metrics := flag.String("metrics-bind-address", "127.0.0.1:9080", "address of /metrics")
	klog.InitFlags(nil)
	flag.Parse()
	if *kubeconfig == "" || *node == "" {
		fmt.Fprintln(os.Stderr, "kube-network-policies: --kubeconfig and --hostname-override are required")
		return 2
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Errorf("reading %s: %v", *kubeconfig, err)
		return 1
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Errorf("client: %v", err)
		return 1
	}
	factory := informers.NewSharedInformerFactory(client, 0)

	http.Handle("/metrics", promhttp.Handler())
	go func() { klog.Info(http.ListenAndServe(*metrics, nil)) }()

	// NRI stays on although Debian 12's containerd 1.6 serves none (pod IPs come from the API
	// server either way): with NRIdisabled, v0.8.0 calls a method on its nil NRI plugin for any
	// address that is no known pod (controller.go, getPodAssignedToIP) and the daemon dies on the
	// first packet to the node or from a pod the API server has not yet published. With NRI on, the
	// plugin is made but its connection to /var/run/nri/nri.sock fails once, in the log, harmlessly.
	controller, err := networkpolicy.NewController(client,
		factory.Networking().V1().NetworkPolicies(), factory.Core().V1().Namespaces(), factory.Core().V1().Pods(),
		nil, nil, nil, nil,
		networkpolicy.Config{QueueID: *queue, NodeName: *node, NFTableName: *table, NetfilterBug1766Fix: true})
	if err != nil {
		klog.Errorf("starting the controller: %v", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- controller.Run(ctx) }()
	factory.Start(ctx.Done())

	select {
	case err = <-done: // nfqueue or nftables refused: exit, so `up` sees the daemon die
		klog.Errorf("controller stopped: %v", err)
		return 1
	case <-ctx.Done():
		<-done // Run returns after it deleted its nftables table
		return 0
	}
}
